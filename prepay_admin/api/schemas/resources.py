"""Shapes of the annual cycle's resources: regions, campaigns, applications, determinations, securities, agreements, batches, sign-offs and payments."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...policy.facts import SecurityKind
from ...validation import Choice, Date, Money, StrictSchema, Text
from .common import AdvanceOut, DecimalOut, DepositAccount, FileUpload, MoneyOut


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
    profile_version = fields.Integer(metadata={"description": "开启时的方案版本，全年度沿用"})
    profile_sha256 = fields.String()
    state = fields.String()
    signing_working_days = fields.Integer()
    signing_deadline = fields.Date(allow_none=True)
    provisional = fields.Boolean()
    pay_by = fields.Date()
    determinations = fields.List(fields.Tuple((fields.String(), fields.Integer())))
    batches = fields.List(fields.Nested(BatchSummaryOut))


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
    determined_total = MoneyOut()  # 13§: after the security caps
    computed_total = MoneyOut()  # as computed, before the caps
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
    line_count = fields.Integer()
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
    paid_from = DepositAccount("付款账户")


class PaymentReturnIn(StrictSchema):
    file = FileUpload(required=True, metadata={"description": "银行代发回单：.xlsx，或 UTF-8 / GB18030 编码的 .csv；表头为 "
                                                          "指令编号、机构编码、险种、收款账号、金额、银行流水号、到账日期"})
    paid_from = DepositAccount("付款账户")


class ReturnConfirmedOut(Schema):
    batch_id = fields.Integer()
    rows = fields.Integer()
    confirmed = fields.Integer(metadata={"description": "本次确认并记账的笔数"})
    replayed = fields.Integer(metadata={"description": "此前已以相同流水号确认、未重复记账的笔数"})
    amount = fields.Decimal(as_string=True, places=2, metadata={"description": "本次确认的金额（元）"})


class ConfirmedOut(Schema):
    instruction_id = fields.Integer()
    ledger_entry_id = fields.Integer()
    replayed = fields.Boolean()


class ApplicationIn(StrictSchema):
    institution_code = Text(max_length=20, required=True)
    submitted_on = Date(required=True)
    answers = fields.Dict(keys=fields.String(), required=True,
                          metadata={"description": "自查情况（申请表附件），如 {\"settled_over_one_year\": true, …}"})


class ApplicationOut(Schema):
    id = fields.Integer()
    institution_code = fields.String()
    institution_name = fields.String()
    state = fields.String()
    submitted_on = fields.Date()
    signed_by = fields.String()
    recorded_by = fields.String()
    self_check = fields.Dict(keys=fields.String())


class ApplicationPageOut(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(ApplicationOut))


class AppliedOut(Schema):
    application_id = fields.Integer()


class SecurityIn(StrictSchema):
    institution_code = Text(max_length=20, required=True)
    kind = Choice([k.value for k in SecurityKind], required=True)
    value = Money(required=True)
    registration_ref = Text(max_length=100, required=True)
    registered_on = Date(required=True)
    valid_until = Date(load_default=None)


class FundAmountOut(Schema):
    fund = fields.String()
    determined = MoneyOut()  # before the security
    final = MoneyOut()  # capped by it (13§: one security for both funds)
    reasons = fields.List(fields.String())


class RegisteredOut(Schema):
    institution_code = fields.String()
    value = MoneyOut()
    valid_from = fields.Date()
    valid_until = fields.Date()
    amounts = fields.List(fields.Nested(FundAmountOut))


class SigningWindowIn(StrictSchema):
    institution_codes = fields.List(Text(max_length=20), required=True,
                                    validate=validate.Length(min=1, max=20_000, error="须列出 1 至 20,000 家机构"))
    registration_ref = Text(max_length=100, load_default=None, metadata={
        "description": "登记信用担保时：一份信用担保函的编号，为每家机构按其核定预付金额登记（省略则只签约；资产抵押须逐家登记）"})
    covered = Money(load_default=None, metadata={"description": "与 registration_ref 一起：担保函载明的担保总额（元）"})
    sign = fields.Boolean(load_default=True, metadata={"description": "是否签订预付协议"})
    on = Date(required=True)


class SigningWindowOut(Schema):
    secured = fields.List(fields.String())
    signed = fields.List(fields.String())
    agreements = fields.Integer(metadata={"description": "新签协议份数（其余由有效期内的协议覆盖，16§）"})


class SelectedConfirmationIn(StrictSchema):
    instruction_ids = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1, max=2**62)), required=True,
                                  validate=validate.Length(min=1, max=200_000, error="须列出 1 至 200,000 笔指令"))
    bank_ref = Text(max_length=80, required=True, metadata={"description": "银行代发批次流水号；各笔记为“流水号-指令号”"})
    paid_count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=200_000),
                                metadata={"description": "银行回单上的成功笔数，须等于所选笔数"})
    paid_total = Money(required=True, metadata={"description": "银行回单上的成功金额，须等于所选金额合计"})
    paid_on = Date(required=True)
    paid_from = DepositAccount("付款账户")


class AgreementIn(StrictSchema):
    institution_code = Text(max_length=20, required=True)
    signed_on = Date(required=True)


class SignedAgreementOut(Schema):
    institution_code = fields.String()
    agreement_no = fields.String()
    first_year = fields.Integer()
    last_year = fields.Integer()


class InstructionOut(Schema):
    id = fields.Integer()
    institution_code = fields.String()
    fund = fields.String()
    amount = MoneyOut()
    bank_account = fields.String()
    state = fields.String()
    issued_on = fields.Date()
    pending = fields.Boolean()
    bank_ref = fields.String(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    paid_from = fields.String(allow_none=True)


class VoidIn(StrictSchema):
    reason = Text(max_length=200, required=True)


class FailureIn(StrictSchema):
    reason = Text(max_length=200, required=True, metadata={"description": "the bank's reason (退票), e.g. 账户已销户"})


class ReissueIn(StrictSchema):
    note = Text(max_length=200, required=True, metadata={"description": "why it is sent again (the account change)"})
    on = Date(load_default=None, metadata={"description": "the day it is re-issued (default today, Beijing)"})


class ReviewIn(StrictSchema):
    comment = Text(max_length=200, required=True, metadata={"description": "内审's review of the re-issue"})


class ReissuedOut(Schema):
    instruction_id = fields.Integer()
    state = fields.String()
    bank_name = fields.String()
    bank_account = fields.String()
    changed = fields.Boolean(metadata={"description": "sent to another account than the one the bank returned"})


class VoidedOut(Schema):
    instruction_id = fields.Integer()
    state = fields.String()


class FundMonthsOut(Schema):
    fund = fields.String()
    payable_months = DecimalOut()
    threshold = DecimalOut()
    open = fields.Boolean()
    recorded = fields.Boolean()


class StageOut(Schema):
    key = fields.String()
    label = fields.String()
    count = fields.Integer()


class DeadlineOut(Schema):
    label = fields.String()
    day = fields.Date()
    days_left = fields.Integer()
    provisional = fields.Boolean()
    done = fields.Boolean()


class TodoOut(Schema):
    department = fields.String(metadata={"description": "whose duty it is (24§)"})
    key = fields.String(metadata={"description": "the kind of work: open_year, fund_figures, determine, fix_list, "
                                                 "security, agreement, prepare, submit_batch, sign_batch, "
                                                 "return_batch, pay_batch, confirm, sign_presettlement, "
                                                 "reissue, review_reissue, pay_presettlement, settle, receivables, overdue, calendar"})
    label = fields.String()
    count = fields.Integer()
    screen = fields.String()
    ids = fields.Dict(keys=fields.String(), values=fields.Integer())
    due = fields.Date(allow_none=True)
    days_left = fields.Integer(allow_none=True)
    article = fields.String()


class SearchQuery(StrictSchema):
    q = Text(max_length=60, required=True, metadata={"description": "a code or name, a receivable or batch number, "
                                                                   "a voucher (记-2026-0012), a document, an agreement"})


class HitOut(Schema):
    kind = fields.String()
    title = fields.String()
    detail = fields.String()
    screen = fields.String()
    ids = fields.Dict(keys=fields.String(), values=fields.Raw())


class SearchOut(Schema):
    items = fields.List(fields.Nested(HitOut))


class NoticeOut(Schema):
    at = fields.DateTime()
    kind = fields.String()
    message = fields.String()


class TodoListOut(Schema):
    region_code = fields.String()
    region_name = fields.String()
    today = fields.Date()
    mine = fields.List(fields.Nested(TodoOut), metadata={"description": "what waits for the caller's department"})
    items = fields.List(fields.Nested(TodoOut), metadata={"description": "what waits in the region, every department's"})
    notices = fields.List(fields.Nested(NoticeOut), metadata={"description": "the scheduler's notices of the last "
                                                                            "week for the caller's department"})


class DashboardOut(Schema):
    region_name = fields.String()
    year = fields.Integer()
    today = fields.Date()
    profile_title = fields.String()
    funds = fields.List(fields.Nested(FundMonthsOut))
    pipeline = fields.List(fields.Nested(StageOut))
    deadlines = fields.List(fields.Nested(DeadlineOut))
    outstanding = fields.Dict(keys=fields.String(), values=MoneyOut())
