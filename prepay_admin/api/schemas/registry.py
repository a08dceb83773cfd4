"""Shapes of the registry: institutions, their pages and search."""
from __future__ import annotations

from marshmallow import Schema, fields

from ...validation import Text
from .common import AdvanceOut, DecimalOut, MoneyOut, Paging, TrailLineOut


class SearchPaging(Paging):
    q = Text(max_length=60, load_default=None, metadata={"description": "机构编码或名称的一部分"})


class InstitutionOut(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    level_cn = fields.String()
    settled_since = fields.Date()
    bank_name = fields.String()
    bank_account = fields.String()


class InstitutionPageOut(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(InstitutionOut))


class StandingOut(Schema):
    year = fields.Integer()
    assessment = fields.String()
    performance_score = DecimalOut()
    credit_grade = fields.String()


class ConditionOut(Schema):
    year = fields.Integer()
    condition = fields.String()
    evidence = fields.String()
    recorded_at = fields.DateTime()


class BarOut(Schema):
    since = fields.Date()
    until = fields.Date()
    reason = fields.String()
    decision_ref = fields.String()


class SecurityOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    value = MoneyOut()
    registration_ref = fields.String()
    valid_from = fields.Date()
    valid_until = fields.Date()
    replaces_id = fields.Integer(allow_none=True)


class InstitutionDeterminationOut(Schema):
    year = fields.Integer()
    run = fields.Integer()
    latest = fields.Boolean()
    state = fields.String()
    eligible = fields.Boolean()
    months = DecimalOut(allow_none=True)
    ratio = DecimalOut(allow_none=True)
    qualification = fields.List(fields.Date())
    reasons = fields.List(fields.String())
    advances = fields.List(fields.Nested(AdvanceOut))
    computed_by = fields.String()
    computed_at = fields.DateTime()


class AgreementOut(Schema):
    agreement_no = fields.String()
    first_year = fields.Integer()
    last_year = fields.Integer()
    signed_on = fields.Date()
    signed_by = fields.String()
    state = fields.String()


class PaymentOut(Schema):
    id = fields.Integer()
    fund = fields.String()
    amount = MoneyOut()
    state = fields.String()
    issued_on = fields.Date()
    paid_on = fields.Date(allow_none=True)
    bank_ref = fields.String(allow_none=True)


class InstitutionDetailOut(Schema):
    region_code = fields.String()
    institution = fields.Nested(InstitutionOut)
    state_run = fields.Boolean()
    standings = fields.List(fields.Nested(StandingOut))
    conditions = fields.List(fields.Nested(ConditionOut))
    bars = fields.List(fields.Nested(BarOut))
    securities = fields.List(fields.Nested(SecurityOut))
    determinations = fields.List(fields.Nested(InstitutionDeterminationOut))
    agreements = fields.List(fields.Nested(AgreementOut))
    payments = fields.List(fields.Nested(PaymentOut))
    history = fields.List(fields.Nested(TrailLineOut))
