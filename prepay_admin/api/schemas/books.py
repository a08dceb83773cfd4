"""Shapes of the books: trial balance, statements, the audit trail."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...policy.departments import Department
from ...policy.facts import Fund
from ...policy.transitions import MACHINES
from ...validation import Date, StrictSchema, Text
from .common import FundChoice, MoneyOut, Paging, TrailLineOut


class BookQuery(StrictSchema):
    fund = FundChoice(load_default=Fund.EMPLOYEE.value)
    from_period = fields.String(data_key="from", required=True, validate=validate.Regexp(
        r"^[0-9]{4}-[0-9]{2}$", error="须为 YYYY-MM"))
    to_period = fields.String(data_key="to", required=True, validate=validate.Regexp(
        r"^[0-9]{4}-[0-9]{2}$", error="须为 YYYY-MM"))


class TrialBalanceRowOut(Schema):
    code = fields.String()
    name = fields.String()
    role = fields.String()
    opening = MoneyOut()
    debit = MoneyOut()
    credit = MoneyOut()
    closing = MoneyOut()


class TrialBalanceOut(Schema):
    book = fields.String()
    from_period = fields.String()
    to_period = fields.String()
    balanced = fields.Boolean()
    rows = fields.List(fields.Nested(TrialBalanceRowOut))
    totals = fields.Nested(TrialBalanceRowOut)


class MovementOut(Schema):
    entry_date = fields.Date()
    voucher = fields.String()
    summary = fields.String()
    party = fields.String(allow_none=True)
    debit = MoneyOut()
    credit = MoneyOut()
    balance = MoneyOut()


class StatementOut(Schema):
    book = fields.String()
    account_code = fields.String()
    account_name = fields.String()
    party = fields.String(allow_none=True)
    from_period = fields.String()
    to_period = fields.String()
    opening = MoneyOut()
    debit = MoneyOut()
    credit = MoneyOut()
    closing = MoneyOut()
    movements = fields.List(fields.Nested(MovementOut))


class TrailQuery(Paging):
    machine = fields.String(load_default=None, validate=validate.OneOf([m.name for m in MACHINES],
                                                                        error="流程类型无效"))
    actor = Text(max_length=60, load_default=None, metadata={"description": "a username or part of a name"})
    department = fields.String(load_default=None, validate=validate.OneOf([d.value for d in Department],
                                                                          error="部门无效"))
    institution = Text(max_length=60, load_default=None, metadata={"description": "part of a code or a name"})
    since = Date(load_default=None, metadata={"description": "Beijing date, inclusive"})
    until = Date(load_default=None, metadata={"description": "Beijing date, inclusive"})


class TrailOut(Schema):
    region_code = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    items = fields.List(fields.Nested(TrailLineOut), attribute="lines")
