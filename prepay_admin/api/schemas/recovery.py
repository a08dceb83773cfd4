"""Shapes of the return path: settlement runs, clearing, recovery triggers, receivables, pre-settlements, year ends, condition lifts."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...policy.conditions import LIFTABLE
from ...policy.recovery import COURT_ROUTES, TriggerKind
from ...validation import Date, Money, Month, StrictInteger, StrictSchema, Text
from .common import DepositAccount, FundChoice, MoneyOut, Paging, TrailLineOut

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
