"""Shapes of the deposit resources (DEPOSIT.md): a reference run and its cells, money as strings."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...policy.deposit import InsuranceClass
from ...validation import Choice, Date, StrictSchema, Text
from .common import DecimalOut, MoneyOut


class ReferenceQuery(StrictSchema):
    institution = Text(max_length=20, load_default=None)
    group = Text(max_length=30, load_default=None)
    insurance_class = Choice([c.value for c in InsuranceClass], load_default=None, data_key="class")
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62),
                           metadata={"description": "上一页末尾的 next_after（按编号分页）"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


class RunOut(Schema):
    id = fields.Integer()
    year = fields.Integer()
    window_from = fields.Date()
    window_to = fields.Date()
    profile = fields.String()
    measure = fields.String()
    inputs_sha256 = fields.String()
    settlements = fields.Integer()
    admissions = fields.Integer()
    out_of_region = fields.Integer()
    cells = fields.Integer()
    computed_by = fields.String()
    computed_at = fields.DateTime()


class CellOut(Schema):
    id = fields.Integer()
    institution_code = fields.String()
    institution_name = fields.String()
    group_code = fields.String()
    insurance_class = fields.String()
    cases = fields.Integer()
    mean_cost = MoneyOut()
    mean_fund = MoneyOut()
    mean_copay = MoneyOut()
    mean_self_pay = MoneyOut()
    reference = MoneyOut(metadata={"description": "次均个人负担：医保患者预交金的上限"})
    median = MoneyOut()
    p75 = MoneyOut()
    last_year_reference = MoneyOut(allow_none=True)
    change = DecimalOut(allow_none=True)
    small = fields.Boolean(metadata={"description": "样本不足：例数低于方案的最少例数，不作为依据"})
    proxy = fields.Boolean(metadata={"description": "推算：自费类别按医保患者次均费用推算"})
    out_of_region_cases = fields.Integer()


class ReferencePageOut(Schema):
    run = fields.Nested(RunOut)
    items = fields.List(fields.Nested(CellOut), attribute="cells")
    next_after = fields.Integer(allow_none=True)


class RunDoneOut(Schema):
    run_id = fields.Integer()
    year = fields.Integer()
    profile = fields.String()
    admissions = fields.Integer()
    out_of_region = fields.Integer()
    cells = fields.Integer()
    small = fields.Integer()
    inputs_sha256 = fields.String()
    superseded = fields.Integer(allow_none=True)


class CheckIn(StrictSchema):
    on = Date(required=True, metadata={"description": "检查在这一天执行的公示额度"})


class CheckDoneOut(Schema):
    run_id = fields.Integer()
    on = fields.Date()
    hospitals = fields.Integer()
    found = fields.Integer()
    new = fields.Integer()
    rectified = fields.Integer()


class FindingQuery(StrictSchema):
    status = Choice(["new", "notified", "rectified", "cleared"], load_default=None)
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


class FindingOut(Schema):
    id = fields.Integer()
    institution_code = fields.String()
    institution_name = fields.String()
    kind = fields.String()
    group_code = fields.String()
    breach = fields.Boolean(metadata={"description": "违规（true）或提示（false）"})
    article = fields.String()
    published = MoneyOut(allow_none=True)
    reference = MoneyOut(allow_none=True)
    message = fields.String()
    status = fields.String()
    found_on = fields.Date()
    last_seen_on = fields.Date()
    due_on = fields.Date(allow_none=True, metadata={"description": "须重新测算的期限（新 24）"})
    notice_id = fields.Integer(allow_none=True, metadata={"description": "通知该问题的提示函（文书编号）"})
    cleared_note = fields.String(allow_none=True, metadata={"description": "已核销的理由"})


class OverviewQuery(StrictSchema):
    on = Date(load_default=None, metadata={"description": "对照这一天执行的公示额度（默认今天）"})


class BinOut(Schema):
    label = fields.String(attribute="0")
    count = fields.Integer(attribute="1")


class KindCountOut(Schema):
    kind = fields.String(attribute="0")
    label = fields.String(attribute="1")
    open = fields.Integer(attribute="2")
    notified = fields.Integer(attribute="3")


class DepositTriggerOut(Schema):
    finding = fields.Nested(FindingOut)
    due_on = fields.Date()
    days_left = fields.Integer(metadata={"description": "负数为逾期天数"})


class SilentOut(Schema):
    institution_code = fields.String(attribute="0")
    institution_name = fields.String(attribute="1")
    cases = fields.Integer(attribute="2")


class RedHolderOut(Schema):
    code = fields.String()
    name = fields.String()
    held = MoneyOut()
    breaches = fields.Integer()
    oldest = fields.Date()


class BillingLineOut(Schema):
    code = fields.String()
    name = fields.String()
    month = fields.Date()
    settlements = fields.Integer()
    within = fields.Integer()
    rate = DecimalOut()


class BillingOut(Schema):
    month = fields.Date()
    working_days = fields.Integer()
    settlements = fields.Integer()
    within = fields.Integer()
    rate = DecimalOut()
    slowest = fields.List(fields.Nested(BillingLineOut))


class OverviewOut(Schema):
    year = fields.Integer()
    on = fields.Date()
    as_of = fields.Date(allow_none=True, metadata={"description": "公示与合规数字所对照的日期：此前最近一次检查之日"})
    run = fields.Nested(RunOut, allow_none=True)
    hospitals = fields.Integer(metadata={"description": "有本地住院病例的医院"})
    publishing = fields.Integer(metadata={"description": "其中已公示预交金额度的"})
    lines = fields.Integer(metadata={"description": "可对照（参考额度样本充足）的公示额度项数"})
    compliant = fields.Integer()
    compliance = DecimalOut(allow_none=True)
    distribution = fields.List(fields.Nested(BinOut), metadata={"description": "公示额度 ÷ 参考额度的分布"})
    open_by_kind = fields.List(fields.Nested(KindCountOut))
    excesses = fields.List(fields.Nested(FindingOut))
    triggers = fields.List(fields.Nested(DepositTriggerOut))
    silent = fields.List(fields.Nested(SilentOut))
    recompute_days = fields.Integer()
    red_holders = fields.List(fields.Nested(RedHolderOut), metadata={
        "description": "持有预付金、违规问题超过 red_days 日未整改的机构（稽核认定 10§(六) 的依据之一）"})
    red_days = fields.Integer()
    red_held = MoneyOut()
    billing = fields.Nested(BillingOut, allow_none=True, metadata={"description": "出院后工作日内结算的比例（黔 19、吉 20）"})


class TableLineOut(Schema):
    group_code = fields.String()
    class_cn = fields.String()
    amount = MoneyOut()
    effective_on = fields.Date()
    prior_standard = MoneyOut(allow_none=True)
    basis = fields.String(allow_none=True)
    cases = fields.Integer(allow_none=True)
    reference = MoneyOut(allow_none=True)
    small = fields.Boolean()
    proxy = fields.Boolean()
    ratio = DecimalOut(allow_none=True)
    above = fields.Boolean()


class DepositNoticeOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "文书类型（deposit_rectification、deposit_recompute）"})
    file_name = fields.String()
    generated_at = fields.DateTime()
    generated_by = fields.String()
    superseded = fields.Boolean()


class CommonLineOut(Schema):
    group_code = fields.String()
    cost = MoneyOut(metadata={"description": "上年度住院医疗费用（医保结算数据：含异地直接结算，不含自费患者）"})
    admissions = fields.Integer(metadata={"description": "上年度住院人次（医保结算数据：含异地直接结算，不含自费患者）"})
    cumulative_cost_share = DecimalOut(metadata={"description": "按费用降序的累计占比（含本病组）"})
    cumulative_admission_share = DecimalOut(metadata={"description": "按人次降序的累计占比（含本病组）"})
    by_cost = fields.Boolean()
    by_admissions = fields.Boolean()
    published = fields.Boolean(metadata={"description": "现行公示表是否有本病组（任一险种类别）的额度"})


class HospitalOut(Schema):
    code = fields.String()
    name = fields.String()
    year = fields.Integer()
    on = fields.Date()
    run = fields.Nested(RunOut, allow_none=True)
    lines = fields.List(fields.Nested(TableLineOut))
    unpublished = fields.List(fields.Nested(CellOut))
    findings = fields.List(fields.Nested(FindingOut))
    notices = fields.List(fields.Nested(DepositNoticeOut))
    open_rectify = fields.Integer()
    open_triggers = fields.Integer()
    billing = fields.List(fields.Nested(BillingLineOut))
    common = fields.List(fields.Nested(CommonLineOut), metadata={"description": "常见病种（规则 3）"})
    common_share = DecimalOut()
    common_missing = fields.List(fields.String(), metadata={
        "description": "检查认定未公示的常见病种（覆盖按费用或按人次任一组即为空）"})


class ClearIn(StrictSchema):
    note = Text(max_length=200, required=True, metadata={"description": "核销理由"})


class ClearedOut(Schema):
    finding_id = fields.Integer()
    institution_code = fields.String()
    kind = fields.String()


class GrassrootsQuery(StrictSchema):
    area = Text(max_length=6, load_default=None)
    group = Text(max_length=30, load_default=None)
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class GrassrootsTableOut(Schema):
    id = fields.Integer()
    year = fields.Integer()
    run_id = fields.Integer()
    area = fields.String()
    state = fields.String()
    lines = fields.Integer()
    proposed_by = fields.String()
    proposed_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class GrassrootsAmountOut(Schema):
    id = fields.Integer()
    area = fields.String()
    group_code = fields.String()
    class_cn = fields.String()
    institutions = fields.Integer()
    cases = fields.Integer()
    mean = MoneyOut()
    amount = MoneyOut(metadata={"description": "统一额度：次均个人负担向下取整到元"})
    small = fields.Boolean()
    proxy = fields.Boolean()


class GrassrootsPageOut(Schema):
    table = fields.Nested(GrassrootsTableOut, allow_none=True)
    items = fields.List(fields.Nested(GrassrootsAmountOut), attribute="amounts")
    next_after = fields.Integer(allow_none=True)


class GrassrootsProposedOut(Schema):
    table_id = fields.Integer()
    year = fields.Integer()
    lines = fields.Integer()
    institutions = fields.Integer()
    small = fields.Integer()
    superseded = fields.Integer(allow_none=True)


class GrassrootsDecisionIn(StrictSchema):
    approve = fields.Boolean(required=True, metadata={"description": "true 审定；false 退回（须 note）"})
    note = Text(max_length=500, load_default="")


class GrassrootsDecidedOut(Schema):
    table_id = fields.Integer()
    state = fields.String()
