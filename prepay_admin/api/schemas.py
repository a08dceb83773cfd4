"""The API's shapes: money as strings with two decimals, dates ISO, errors naming the field."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..validation import Date, StrictSchema, Text

class MoneyOut(fields.Decimal):
    """Yuan as a string with two decimals ("1234.56"), documented as such (not as a JSON number)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(pattern=r"^-?[0-9]+\.[0-9]{2}$", example="1670000.00")
        super().__init__(places=2, as_string=True, **kwargs)


class DecimalOut(fields.Decimal):
    """A non-money decimal (months, ratios) as a string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(pattern=r"^-?[0-9]+(\.[0-9]+)?$")
        super().__init__(as_string=True, **kwargs)


class Paging(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000, error="页码须在 1—100000 之间"))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200, error="每页条数须在 1—200 之间"))


class RegionOut(Schema):
    code = fields.String()
    name = fields.String()


class BatchSummaryOut(Schema):
    id = fields.Integer()
    state = fields.String()
    items = fields.Integer()
    amount = MoneyOut()


class CampaignOut(Schema):
    year = fields.Integer()
    profile = fields.String()
    state = fields.String()
    signing_working_days = fields.Integer()
    signing_deadline = fields.Date(allow_none=True)
    provisional = fields.Boolean()
    pay_by = fields.Date()
    determinations = fields.List(fields.Tuple((fields.String(), fields.Integer())))
    batches = fields.List(fields.Nested(BatchSummaryOut))


class AdvanceOut(Schema):
    fund = fields.String()
    base = MoneyOut()
    rounded = MoneyOut()
    amount = MoneyOut()
    final_amount = MoneyOut(allow_none=True)
    reasons = fields.List(fields.String())


class DeterminationOut(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    state = fields.String()
    eligible = fields.Boolean()
    months = DecimalOut(allow_none=True)
    ratio = DecimalOut(allow_none=True)
    reasons = fields.List(fields.String())
    notes = fields.List(fields.String())
    advances = fields.List(fields.Nested(AdvanceOut))


class DeterminationPageOut(Schema):
    run = fields.Integer()
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    determined_total = MoneyOut()
    items = fields.List(fields.Nested(DeterminationOut))


class BatchLineOut(Schema):
    institution_code = fields.String()
    institution_name = fields.String()
    fund = fields.String()
    determined = MoneyOut()
    held = MoneyOut()
    amount = MoneyOut()
    bank_name = fields.String()
    bank_account = fields.String()


class SignOffEntryOut(Schema):
    title = fields.String()
    signer = fields.String()
    signed_at = fields.DateTime()
    comment = fields.String()
    batch_hash = fields.String()
    void_reason = fields.String(allow_none=True)


class BatchOut(Schema):
    batch_id = fields.Integer()
    region_code = fields.String()
    year = fields.Integer()
    state = fields.String()
    next_level = fields.String(allow_none=True)
    hash = fields.String()
    total = MoneyOut()
    lines = fields.List(fields.Nested(BatchLineOut))
    method = fields.List(fields.String())
    sign_offs = fields.List(fields.Nested(SignOffEntryOut))
    can_sign = fields.Boolean()
    cannot_sign_because = fields.String(allow_none=True)


class SignOffIn(StrictSchema):
    batch_hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$", error="须为 64 位十六进制批次摘要"))
    comment = Text(max_length=500, required=True)


class SignedOut(Schema):
    batch_id = fields.Integer()
    level = fields.String()
    title = fields.String()
    batch_hash = fields.String()


class ConfirmIn(StrictSchema):
    bank_ref = Text(max_length=100, required=True)
    paid_on = Date(required=True)
    paid_from = fields.String(load_default="expenditure",
                              validate=validate.OneOf(["expenditure", "fiscal"], error="须为 expenditure 或 fiscal"))


class ConfirmedOut(Schema):
    instruction_id = fields.Integer()
    ledger_entry_id = fields.Integer()
    replayed = fields.Boolean()


class ErrorOut(Schema):
    code = fields.Integer()
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
