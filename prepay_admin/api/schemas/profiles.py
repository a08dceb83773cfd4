"""Shapes of the policy profiles: stored versions, their parameters, comparisons."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import FileUpload

# -- policy profiles ---------------------------------------------------------------------------------

class ProfileFileIn(Schema):
    file = FileUpload(required=True, metadata={"description": "政策参数方案文件（TOML，UTF-8），见 docs/policy-profiles.md"})


class ProfileOut(Schema):
    name = fields.String()
    version = fields.Integer()
    title = fields.String()
    source = fields.String()
    sha256 = fields.String()
    added_by = fields.String()
    added_at = fields.DateTime()
    latest = fields.Boolean()
    regions = fields.List(fields.String())
    campaigns = fields.List(fields.String(), metadata={"description": "使用该版本的年度：“统筹地区 年度”"})


class ProfileAddedOut(Schema):
    name = fields.String()
    version = fields.Integer()
    title = fields.String()
    sha256 = fields.String()
    added_by = fields.String()
    added_at = fields.DateTime()
    replayed = fields.Boolean(metadata={"description": "内容相同的版本已存：未重复保存"})


class ParameterOut(Schema):
    path = fields.String()
    value = fields.String()


class ProfileDetailOut(ProfileOut):
    parameters = fields.List(fields.Nested(ParameterOut))
    content = fields.String(metadata={"description": "新增时的文件原文"})


class ProfilePairIn(Schema):
    a = fields.String(required=True, validate=validate.Length(min=1, max=50),
                      metadata={"description": "名称@版本，或名称（最新版本）"})
    b = fields.String(required=True, validate=validate.Length(min=1, max=50))


class DifferenceOut(Schema):
    path = fields.String()
    a = fields.String(allow_none=True, attribute="left", metadata={"description": "null：A 无此参数"})
    b = fields.String(allow_none=True, attribute="right")


class ComparisonOut(Schema):
    a = fields.String(attribute="left")
    b = fields.String(attribute="right")
    differences = fields.List(fields.Nested(DifferenceOut))
