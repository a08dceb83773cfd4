"""Shapes of the documents: a request for any registered kind, the issued file, a verification."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...policy.facts import Fund
from ...services.documents import REGISTRY
from ...validation import Month, StrictInteger, StrictSchema, Text
from .common import FileUpload, FundChoice

# -- documents (16§, 15§(二), 20§(二)1, 21§(一), 22§(一)) ----------------------------

class RegisteredKind(validate.OneOf):
    """One of the registered document kinds, read from the registry (and documented as its enum) when
    used: a kind registered later is accepted and listed without a change here (issue 29)."""

    def __init__(self) -> None:
        super().__init__((), error="须为已登记的文书类型之一：{choices}")

    @property
    def choices(self):
        return tuple(REGISTRY)

    @choices.setter
    def choices(self, _value) -> None:
        pass

    @property
    def choices_text(self):
        return "、".join(REGISTRY)

    @choices_text.setter
    def choices_text(self, _value) -> None:
        pass


class DocumentIn(StrictSchema):
    kind = fields.String(required=True, validate=RegisteredKind(),
                         metadata={"description": "文书类型；所需参数见其类型（year、institution_code、receivable_id 等）"})
    year = StrictInteger(minimum=2000, maximum=2100, load_default=None)
    institution_code = Text(max_length=20, load_default=None)
    receivable_id = StrictInteger(minimum=1, maximum=2_147_483_647, load_default=None)
    fund = FundChoice(load_default=Fund.EMPLOYEE.value)
    from_period = Month(load_default=None)
    to_period = Month(load_default=None)
    days = StrictInteger(minimum=1, maximum=60, load_default=7)


class DocumentOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    file_name = fields.String()
    sha256 = fields.String()
    supersedes = fields.Integer(allow_none=True)
    content_base64 = fields.String(metadata={"description": "the .docx, base64"})


class VerifyFileIn(Schema):
    file = FileUpload(required=True)


class VerifiedOut(Schema):
    issued = fields.Boolean()
    id = fields.Integer(allow_none=True)
    kind = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    generated_by = fields.String(allow_none=True)
    generated_at = fields.DateTime(allow_none=True)
    superseded_by_id = fields.Integer(allow_none=True)
