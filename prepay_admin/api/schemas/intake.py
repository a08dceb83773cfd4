"""Shapes of the data intake: an upload and its report."""
from __future__ import annotations

from marshmallow import Schema, fields

from ...validation import StrictSchema, Text
from .common import FileUpload


class ImportIn(StrictSchema):
    file = FileUpload(required=True, metadata={"description": ".xlsx，或 UTF-8 / GB18030 编码的 .csv；第 1 行为模板表头"})
    region = Text(max_length=12, required=True, metadata={"description": "统筹地区编码"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "试导入：只检查，不写入"})
    correct = fields.Boolean(load_default=False, metadata={"description": "更正导入：允许更改已登记数据，须 reason"})
    reason = Text(max_length=500, load_default="")


class RowErrorOut(Schema):
    row = fields.Integer()
    column = fields.String()
    message = fields.String()


class ChangeOut(Schema):
    row = fields.Integer()
    key = fields.String()
    field = fields.String()
    before = fields.String()
    after = fields.String()


class ImportReportOut(Schema):
    kind = fields.String()
    title = fields.String()
    file_name = fields.String()
    sha256 = fields.String()
    rows = fields.Integer()
    added = fields.Integer()
    changed = fields.Integer()
    unchanged = fields.Integer()
    error_count = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorOut))
    changes = fields.List(fields.Nested(ChangeOut))
    dry_run = fields.Boolean()
    correction = fields.Boolean()
    applied = fields.Boolean()
    import_id = fields.Integer(allow_none=True)
    seen_before = fields.Boolean()
    message = fields.String()
