"""What every resource's shapes share: money as strings with two decimals, the error body, paging, the fund and deposit-account fields."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from ...policy.accounts import DEFAULT_DEPOSIT_ACCOUNT, DEPOSIT_ACCOUNTS, DEPOSIT_ACCOUNTS_TEXT
from ...policy.facts import Fund
from ...policy.reasons import FUND_CN
from ...validation import StrictSchema


def FundChoice(**kwargs) -> fields.String:
    """A fund by its key (one vocabulary: ``policy.facts.Fund``)."""
    return fields.String(validate=validate.OneOf([f.value for f in Fund], error=f"须为 {' 或 '.join(f.value for f in Fund)}"),
                         metadata={"description": "、".join(f"{f.value} {FUND_CN[f]}" for f in Fund)}, **kwargs)


def DepositAccount(what: str) -> fields.String:
    """The fund's deposit account paid from or into (one vocabulary: ``policy.accounts``)."""
    return fields.String(load_default=DEFAULT_DEPOSIT_ACCOUNT, validate=validate.OneOf(
        list(DEPOSIT_ACCOUNTS), error=f"须为 {' 或 '.join(DEPOSIT_ACCOUNTS)}"),
        metadata={"description": f"{what}：{DEPOSIT_ACCOUNTS_TEXT}"})


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


class AdvanceOut(Schema):
    fund = fields.String()
    base = MoneyOut()
    rounded = MoneyOut()
    amount = MoneyOut()
    final_amount = MoneyOut(allow_none=True)
    reasons = fields.List(fields.String())


class TrailLineOut(Schema):
    at = fields.DateTime()
    who = fields.String()
    what = fields.String()
    object_id = fields.Integer()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    reason = fields.String()
    subject = fields.String(metadata={"description": "what the object is, by code and name (the audit trail's)"})


class ErrorOut(Schema):
    code = fields.Integer()
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class FileUpload(Upload):
    """A multipart file part: a text field sent under the file's name is refused, not read as a file
    (issue 28's review: ``file=abc`` as a text part reached ``.read()`` and answered 500)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("须为上传的文件（multipart/form-data 的文件部分）")
        return value
