"""The API's shapes: money as strings with two decimals, dates ISO, errors naming the field."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from ..policy.accounts import DEFAULT_DEPOSIT_ACCOUNT, DEPOSIT_ACCOUNTS, DEPOSIT_ACCOUNTS_TEXT
from ..policy.conditions import LIFTABLE
from ..policy.facts import Fund, SecurityKind
from ..policy.reasons import FUND_CN
from ..policy.recovery import COURT_ROUTES, TriggerKind
from ..policy.transitions import MACHINES
from ..services.documents import REGISTRY
from ..validation import Choice, Date, Money, Month, StrictInteger, StrictSchema, Text


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
    file = Upload(required=True, metadata={"description": "银行代发回单：.xlsx，或 UTF-8 / GB18030 编码的 .csv；表头为 "
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


class TrailLineOut(Schema):
    at = fields.DateTime()
    who = fields.String()
    what = fields.String()
    object_id = fields.Integer()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    reason = fields.String()


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


class VoidedOut(Schema):
    instruction_id = fields.Integer()
    state = fields.String()


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
    actor = Text(max_length=60, load_default=None)


class TrailOut(Schema):
    region_code = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    items = fields.List(fields.Nested(TrailLineOut), attribute="lines")


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


class DashboardOut(Schema):
    region_name = fields.String()
    year = fields.Integer()
    today = fields.Date()
    profile_title = fields.String()
    funds = fields.List(fields.Nested(FundMonthsOut))
    pipeline = fields.List(fields.Nested(StageOut))
    deadlines = fields.List(fields.Nested(DeadlineOut))
    outstanding = fields.Dict(keys=fields.String(), values=MoneyOut())


class ImportIn(StrictSchema):
    file = Upload(required=True, metadata={"description": ".xlsx，或 UTF-8 / GB18030 编码的 .csv；第 1 行为模板表头"})
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


# -- the return path (RULES §5, §6) ---------------------------------------------

class ReceivableQuery(Paging):
    status = fields.String(load_default="owing", validate=validate.OneOf(["owing", "settled", "all"],
                                                                          error="须为 owing、settled 或 all"))
    fund = FundChoice(load_default=None)
    overdue = fields.Boolean(load_default=False)
    q = Text(max_length=60, load_default=None)


class ReceivableOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    fund = fields.String()
    route = fields.String()
    route_cn = fields.String()
    method_cn = fields.String()
    since = fields.Date()
    amount = MoneyOut()
    recovered = MoneyOut()
    written_off = MoneyOut()
    transferred = MoneyOut()
    outstanding = MoneyOut()
    state = fields.String()
    state_cn = fields.String()
    due_on = fields.Date(allow_none=True)
    overdue_days = fields.Integer()
    age_days = fields.Integer()
    age_band = fields.String()
    last_recovered_on = fields.Date(allow_none=True)


class FundTieOut(Schema):
    fund = fields.String()
    advance_balance = MoneyOut()
    owed = MoneyOut()
    not_due = MoneyOut()
    over_claimed = fields.Integer()


class ReceivablePageOut(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    overdue = fields.Integer()
    ties = fields.List(fields.Nested(FundTieOut))
    items = fields.List(fields.Nested(ReceivableOut))


class RecoveryMovementOut(Schema):
    kind_cn = fields.String()
    amount = MoneyOut()
    on = fields.Date()
    ref = fields.String()
    ledger_entry_id = fields.Integer(allow_none=True)
    recorded_by = fields.String()


class ReceivableDetailOut(Schema):
    line = fields.Nested(ReceivableOut)
    reason = fields.String()
    region_code = fields.String()
    trigger = fields.String(allow_none=True)
    demand_ref = fields.String(allow_none=True)
    demanded_on = fields.Date(allow_none=True)
    case = fields.String(allow_none=True)
    case_documents = fields.String(allow_none=True)
    transferred_from_id = fields.Integer(allow_none=True)
    year_end_of = fields.Integer(allow_none=True)
    movements = fields.List(fields.Nested(RecoveryMovementOut))
    history = fields.List(fields.Nested(TrailLineOut))
    actions = fields.List(fields.String())


class TriggerIn(StrictSchema):
    institution_code = Text(max_length=20, required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in TriggerKind],
                                                                error="须为 20§(一) 所列收回情形之一"))
    occurred_on = Date(required=True)
    evidence = Text(max_length=500, required=True)
    decision_ref = Text(max_length=100, load_default="")
    decided_on = Date(load_default=None, metadata={"description": "取消预付资格决定的日期（fraud 必填；三年自该日起算）"})


class TriggerOut(Schema):
    trigger_id = fields.Integer()
    institution_code = fields.String()
    owed = fields.Dict(keys=fields.String(), values=MoneyOut())
    stopped = fields.Integer()
    voided = fields.Integer()
    barred_until = fields.Date(allow_none=True)


class ConditionLiftIn(StrictSchema):
    institution_code = Text(max_length=20, required=True)
    condition = fields.String(required=True, validate=validate.OneOf(sorted(LIFTABLE), error="须为可解除的 10§ 情形之一"))
    source = fields.String(required=True, validate=validate.OneOf(["self_check", "trigger"],
                                                                  error="须为 self_check 或 trigger"))
    year = StrictInteger(minimum=2000, maximum=2100, load_default=None, allow_none=True)
    evidence = Text(max_length=500, required=True)
    lifted_on = Date(load_default=None)


class ConditionLiftOut(Schema):
    lift_id = fields.Integer()
    institution_code = fields.String()
    condition = fields.String()
    source = fields.String()
    year = fields.Integer(allow_none=True)
    lifted_on = fields.Date()


class YearEndIn(StrictSchema):
    year = StrictInteger(minimum=2000, maximum=2100, required=True)
    on = Date(required=True)


class YearEndOut(Schema):
    year = fields.Integer()
    mode = fields.String()
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())
    owed = MoneyOut()
    undecided = fields.List(fields.String())
    already_done = fields.Boolean()  # RULES §5: the year end was complete before; nothing changed
    december_settled = fields.List(fields.String())  # funds whose December was settled before it


class SettlementRunIn(StrictSchema):
    month = Month(required=True, metadata={"example": "2026-03"})
    fund = FundChoice(required=True)
    settled_on = Date(required=True)


class ClearingRunIn(StrictSchema):
    year = StrictInteger(minimum=2000, maximum=2100, required=True)
    fund = FundChoice(required=True)
    settled_on = Date(required=True)


class SettlementRunOut(Schema):
    run_id = fields.Integer(attribute="run_id")
    month = fields.Date()
    kind = fields.String()  # monthly, or annual_clearing (then month is the year's last day)
    fund = fields.String()
    institutions = fields.Integer()
    payable = MoneyOut()
    withheld = MoneyOut()
    held = MoneyOut()
    released = MoneyOut()
    net = MoneyOut()
    replayed = fields.Boolean()


class RunLineOut(Schema):
    id = fields.Integer()
    month = fields.Date()
    kind = fields.String()
    label = fields.String()
    fund = fields.String()
    settled_on = fields.Date()
    institutions = fields.Integer()
    payable = MoneyOut()
    withheld = MoneyOut()
    held = MoneyOut()
    released = MoneyOut()
    net = MoneyOut()
    run_by = fields.String()


class PaymentLineOut(Schema):
    code = fields.String()
    name = fields.String()
    payable = MoneyOut()
    withheld = MoneyOut()
    held = MoneyOut()
    released = MoneyOut()
    net = MoneyOut()
    still_owed = MoneyOut()
    note = fields.String()
    bank_name = fields.String()
    bank_account = fields.String()


class RunSheetOut(Schema):
    run = fields.Nested(RunLineOut)
    region_code = fields.String()
    total = fields.Integer(attribute="count")
    ties = fields.Boolean()
    ledger_net = MoneyOut()
    ledger_withheld = MoneyOut()
    lines = fields.List(fields.Nested(PaymentLineOut))


class DemandIn(StrictSchema):
    on = Date(required=True)


class DemandOut(Schema):
    receivable_id = fields.Integer()
    demand_ref = fields.String()
    outstanding = MoneyOut()
    due_on = fields.Date()
    provisional = fields.Boolean()


class RefundIn(StrictSchema):
    amount = Money(required=True)
    paid_on = Date(required=True)
    bank_ref = Text(max_length=100, required=True)
    paid_into = DepositAccount("收款账户")


class RecoveredOut(Schema):
    receivable_id = fields.Integer()
    amount = MoneyOut()
    outstanding = MoneyOut()
    ledger_entry_id = fields.Integer()
    replayed = fields.Boolean()


class MethodIn(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(["offset", "refund"], error="须为 offset 或 refund"))
    reason = Text(max_length=200, load_default="")


class SuccessionIn(StrictSchema):
    successor_code = Text(max_length=20, required=True)
    document_ref = Text(max_length=100, required=True)
    on = Date(required=True)


class SuccessionOut(Schema):
    receivable_id = fields.Integer()
    successor_receivable_id = fields.Integer(allow_none=True)
    applied = MoneyOut()
    successor_code = fields.String()
    amount = MoneyOut()


class CourtCaseIn(StrictSchema):
    route = fields.String(required=True, validate=validate.OneOf(list(COURT_ROUTES), error=f"须为 {' 或 '.join(COURT_ROUTES)}"),
                          metadata={"description": "、".join(f"{k} {v}" for k, v in COURT_ROUTES.items())})
    case_ref = Text(max_length=100, required=True)
    court = Text(max_length=100, required=True)
    filed_on = Date(required=True)
    documents = Text(max_length=2000, required=True)


class WriteOffIn(StrictSchema):
    court_document_ref = Text(max_length=200, required=True)
    approval_ref = Text(max_length=200, required=True)
    on = Date(required=True)


class AfterWriteOffIn(StrictSchema):
    amount = Money(required=True)
    paid_on = Date(required=True)
    bank_ref = Text(max_length=100, required=True)


class PresettlementIn(StrictSchema):
    institution_code = Text(max_length=20, required=True)
    fund = FundChoice(required=True)
    month = Month(required=True)
    case = fields.String(required=True, validate=validate.OneOf(["cannot_settle", "large_gap"],
                                                                error="须为 cannot_settle 或 large_gap"))
    incurred = Money(required=True)
    amount = Money(required=True)
    budget_left = Money(load_default=None)
    application_ref = Text(max_length=100, load_default="")
    reason = Text(max_length=500, load_default="")


class ProposedOut(Schema):
    presettlement_id = fields.Integer()
    limit = MoneyOut()
    levels = fields.List(fields.String())


class PresettlementLineOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    fund = fields.String()
    month = fields.Date()
    case_cn = fields.String()
    incurred = MoneyOut()
    settled = MoneyOut()
    budget_left = MoneyOut(allow_none=True)
    amount = MoneyOut()
    state = fields.String()
    state_cn = fields.String()
    next_level = fields.String(allow_none=True)


class PresettlementSignOffOut(Schema):
    level = fields.String()
    signer = fields.String()
    signed_at = fields.DateTime()
    comment = fields.String()


class PresettlementOut(Schema):
    line = fields.Nested(PresettlementLineOut)
    region_code = fields.String()
    limit_note = fields.String()
    application_ref = fields.String()
    levels = fields.List(fields.String())
    sign_offs = fields.List(fields.Nested(PresettlementSignOffOut))
    hash = fields.String(metadata={"description": "签字须提交此摘要"})
    paid_on = fields.Date(allow_none=True)
    bank_ref = fields.String(allow_none=True)
    receivable_id = fields.Integer(allow_none=True)


class PresettlementSignIn(StrictSchema):
    hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$", error="须为 64 位十六进制摘要"))
    comment = Text(max_length=500, load_default="")


class RejectIn(StrictSchema):
    reason = Text(max_length=500, required=True)


class PresettlementPayIn(StrictSchema):
    bank_ref = Text(max_length=100, required=True)
    paid_on = Date(required=True)
    paid_from = DepositAccount("付款账户")


class PresettlementPaidOut(Schema):
    presettlement_id = fields.Integer()
    ledger_entry_id = fields.Integer()
    receivable_id = fields.Integer()
    replayed = fields.Boolean()


class ErrorOut(Schema):
    code = fields.Integer()
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


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
    file = Upload(required=True)


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


# -- policy profiles ---------------------------------------------------------------------------------

class ProfileFileIn(Schema):
    file = Upload(required=True, metadata={"description": "政策参数方案文件（TOML，UTF-8），见 docs/policy-profiles.md"})


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
