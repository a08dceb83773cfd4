"""The workflows' state machines as explicit transition tables (data, not branches).

Every change of state in the annual cycle goes through ``Machine.next``; an
action the table does not list for the current state is refused with a clear
error. The service that applies a transition also records it (who, when,
from, to, why).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Mapping


class CampaignState(StrEnum):
    OPEN = "open"
    LIST_FIXED = "list_fixed"


class ApplicationState(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    DECIDED = "decided"


class DeterminationState(StrEnum):
    COMPUTED = "computed"
    SUPERSEDED = "superseded"
    LISTED = "listed"
    NOT_LISTED = "not_listed"
    SECURED = "secured"
    SIGNED = "signed"
    GIVEN_UP = "given_up"
    PAID = "paid"
    STOPPED = "stopped"


class AgreementState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class BatchState(StrEnum):
    DRAFT = "draft"
    SIGNING = "signing"  # in review: the levels of the profile's chain sign in turn (24§(五), RULES §4)
    APPROVED = "approved"
    PAYING = "paying"
    PAID = "paid"


# states of the fixed four-level review before the chain became profile data: kept in the audit trail
LEGACY_SIGNING_LABELS = {"submitted": "已提交（待内审）", "reviewed": "内审通过（待医保局确认）",
                         "administration_confirmed": "医保局已确认（待财政局确认）", "submit": "提交",
                         "review": "内审审核", "confirm_administration": "医保行政部门确认",
                         "confirm_finance": "财政部门确认", "review_and_approve": "审核通过"}


class PaymentState(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    VOIDED = "voided"
    FAILED = "failed"  # 退票: the bank did not pay it (account closed, name mismatch); re-issued or voided


# an instruction the bank has not paid and that is not given up: its batch is not settled while one is
UNSETTLED_PAYMENTS = (PaymentState.PENDING, PaymentState.FAILED)


class ReceivableState(StrEnum):
    OPEN = "open"
    DEMANDED = "demanded"
    LITIGATION = "litigation"
    BANKRUPTCY_CLAIM = "bankruptcy_claim"
    RECOVERED = "recovered"
    TRANSFERRED = "transferred"
    WRITTEN_OFF = "written_off"


# still owed: withheld from settlements, refundable, transferable
RECEIVABLE_OPEN_STATES = (ReceivableState.OPEN, ReceivableState.DEMANDED, ReceivableState.LITIGATION,
                          ReceivableState.BANKRUPTCY_CLAIM)


# 15§(三): a listed institution whose signing window is still open
IN_SIGNING_WINDOW = (DeterminationState.LISTED, DeterminationState.SECURED)


class IllegalTransition(ValueError):
    def __init__(self, machine: "Machine", state: str, action: str):
        self.machine, self.state, self.action = machine, state, action
        allowed = "、".join(machine.label(a) for a in machine.actions_from(state)) or "无"
        super().__init__(
            f"{machine.title}当前状态为“{machine.label(state)}”，不能执行“{machine.label(action)}”（可执行：{allowed}）"
        )


@dataclass(frozen=True)
class Machine:
    name: str
    title: str
    table: Mapping[tuple[str, str], str]  # (state, action) -> next state
    labels: Mapping[str, str]  # Chinese names of states and actions

    @property
    def states(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for (state, _), target in self.table.items():
            seen.setdefault(state)
            seen.setdefault(target)
        return tuple(seen)

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(action for _, action in self.table))

    def actions_from(self, state: str) -> tuple[str, ...]:
        return tuple(a for (s, a) in self.table if s == state)

    def next(self, state: str, action: str) -> str:
        try:
            return self.table[(state, action)]
        except KeyError:
            raise IllegalTransition(self, state, action) from None

    def label(self, key: str) -> str:
        return self.labels.get(key, key)


# 15§: the region's campaign of the year
CAMPAIGN = Machine("campaign", "年度预付", {
    (CampaignState.OPEN, "fix_list"): CampaignState.LIST_FIXED,
}, {"open": "受理申请中", "list_fixed": "名单已确定", "fix_list": "确定名单"})

# 15§(一): an institution's application
APPLICATION = Machine("application", "预付金申请", {
    (ApplicationState.SUBMITTED, "withdraw"): ApplicationState.WITHDRAWN,
    (ApplicationState.SUBMITTED, "decide"): ApplicationState.DECIDED,
}, {"submitted": "已提交", "withdrawn": "已撤回", "decided": "已核定", "withdraw": "撤回", "decide": "核定名单",
    "submit": "受理申请"})

# 15§(二)(三): the determination of one institution's advance, up to signing
DETERMINATION = Machine("determination", "预付金核定", {
    (DeterminationState.COMPUTED, "supersede"): DeterminationState.SUPERSEDED,
    (DeterminationState.COMPUTED, "list"): DeterminationState.LISTED,
    (DeterminationState.COMPUTED, "leave_off"): DeterminationState.NOT_LISTED,
    (DeterminationState.LISTED, "register_security"): DeterminationState.SECURED,
    (DeterminationState.SECURED, "register_security"): DeterminationState.SECURED,
    (DeterminationState.SECURED, "sign"): DeterminationState.SIGNED,
    # without a registration in the window: where no security is required (HB 二(三)), or one registered
    # earlier still covers the year (16§: a 3-year agreement); the service checks which
    (DeterminationState.LISTED, "sign"): DeterminationState.SIGNED,
    (DeterminationState.LISTED, "give_up"): DeterminationState.GIVEN_UP,
    (DeterminationState.SECURED, "give_up"): DeterminationState.GIVEN_UP,
    (DeterminationState.SIGNED, "pay"): DeterminationState.PAID,
    # 17§, 22§: covered by what it holds of last year's advance, it is rolled over when its batch is issued
    (DeterminationState.SIGNED, "roll_over"): DeterminationState.PAID,
    # 20§(二)2: a recovery trigger stops an advance not yet paid
    (DeterminationState.LISTED, "stop"): DeterminationState.STOPPED,
    (DeterminationState.SECURED, "stop"): DeterminationState.STOPPED,
    (DeterminationState.SIGNED, "stop"): DeterminationState.STOPPED,
}, {
    "computed": "已测算", "superseded": "已重算作废", "listed": "已列入名单", "not_listed": "未列入名单",
    "secured": "已办理担保", "signed": "已签订协议", "given_up": "视作放弃", "paid": "已拨付",
    "stopped": "已停止拨付", "stop": "停止拨付", "supersede": "重新测算", "list": "列入名单", "leave_off": "不列入名单", "register_security": "登记担保、抵押",
    "sign": "签订预付协议", "give_up": "视作放弃", "pay": "拨付", "roll_over": "滚动续用（无需补拨）",
    "compute": "测算核定",
})

# 16§: the prepayment agreement, normally three years
AGREEMENT = Machine("agreement", "预付协议", {
    (AgreementState.ACTIVE, "expire"): AgreementState.EXPIRED,
    (AgreementState.ACTIVE, "terminate"): AgreementState.TERMINATED,
}, {"active": "有效", "expired": "已到期", "terminated": "已解除", "expire": "到期", "terminate": "解除",
    "sign": "签订协议"})

# 15§(四), 24§(五): the payment batch and its sign-offs
# 24§(五), RULES §4: the first level submits, each next one signs, the last approves; which department
# signs which level, and how many there are, is the profile's chain (``policy.signoff``)
BATCH = Machine("batch", "拨付批次", {
    (BatchState.DRAFT, "edit"): BatchState.DRAFT,
    (BatchState.DRAFT, "sign"): BatchState.SIGNING,
    (BatchState.SIGNING, "sign"): BatchState.SIGNING,
    (BatchState.SIGNING, "approve"): BatchState.APPROVED,
    (BatchState.SIGNING, "reject"): BatchState.DRAFT,
    (BatchState.SIGNING, "edit"): BatchState.DRAFT,
    (BatchState.APPROVED, "issue"): BatchState.PAYING,
    (BatchState.PAYING, "complete"): BatchState.PAID,
}, {
    "draft": "编制中", "signing": "审核中", "approved": "已审批（待拨付）", "paying": "拨付中",
    "paid": "已拨付", "edit": "修改批次", "sign": "签字", "approve": "签字（审批完成）", "reject": "退回",
    "issue": "生成拨付指令", "complete": "拨付完成", "create": "编制批次", **LEGACY_SIGNING_LABELS,
})

# 15§(四): one payment instruction to an institution's bank account
PAYMENT = Machine("payment", "拨付指令", {
    (PaymentState.PENDING, "confirm"): PaymentState.PAID,
    (PaymentState.PENDING, "void"): PaymentState.VOIDED,
    # 15§(四): the bank returns it unpaid (退票) with its reason; it is sent again to the institution's
    # corrected account, or given up
    (PaymentState.PENDING, "bounce"): PaymentState.FAILED,
    (PaymentState.FAILED, "reissue"): PaymentState.PENDING,
    # 24§(四): 内审 reviews a re-issue before it is sent (the account it goes to, the evidence)
    (PaymentState.PENDING, "approve_reissue"): PaymentState.PENDING,
    (PaymentState.FAILED, "void"): PaymentState.VOIDED,
}, {"pending": "待拨付", "paid": "已拨付", "voided": "已作废", "confirm": "确认到账", "void": "作废",
    "issue": "生成拨付指令", "failed": "银行退票", "bounce": "登记退票", "reissue": "重新拨付",
    "approve_reissue": "内审复核同意重新拨付"})

class PresettlementState(StrEnum):
    DRAFT = "draft"
    SIGNING = "signing"  # in review along the profile's chain (26§, RULES §4)
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


# 26§: a monthly pre-settlement; the second case needs the administration's and the finance bureau's
# approval after the bureau's review (the batch's levels), the first only the bureau's own two
PRESETTLEMENT = Machine("presettlement", "月度预结金", {
    (PresettlementState.DRAFT, "sign"): PresettlementState.SIGNING,
    (PresettlementState.SIGNING, "sign"): PresettlementState.SIGNING,
    (PresettlementState.SIGNING, "approve"): PresettlementState.APPROVED,
    (PresettlementState.SIGNING, "reject"): PresettlementState.REJECTED,
    (PresettlementState.APPROVED, "pay"): PresettlementState.PAID,
}, {
    "draft": "待提交", "signing": "审核中", "approved": "已批准（待拨付）", "rejected": "已退回",
    "paid": "已拨付", "sign": "签字", "approve": "签字（审批完成）", "reject": "退回", "pay": "拨付",
    "create": "登记申请", **LEGACY_SIGNING_LABELS,
    "reviewed": "经办机构已审核（待医保局审批）", "administration_confirmed": "医保局已审批（待财政局审批）",
    "submitted": "已提交（待审核）", "confirm_administration": "医保行政部门审批", "confirm_finance": "财政部门审批",
})

# RULES §5, §6: what an institution owes back, from the day it arises to recovery or write-off
RECEIVABLE = Machine("receivable", "应收回预付金", {
    (ReceivableState.OPEN, "demand"): ReceivableState.DEMANDED,  # 20§(二)1: refund within 5 working days
    (ReceivableState.DEMANDED, "demand"): ReceivableState.DEMANDED,  # a renewed demand
    (ReceivableState.DEMANDED, "sue"): ReceivableState.LITIGATION,  # 20§(二)5
    (ReceivableState.DEMANDED, "claim_in_bankruptcy"): ReceivableState.BANKRUPTCY_CLAIM,  # 20§(二)4
    (ReceivableState.OPEN, "settle"): ReceivableState.RECOVERED,
    (ReceivableState.DEMANDED, "settle"): ReceivableState.RECOVERED,
    (ReceivableState.LITIGATION, "settle"): ReceivableState.RECOVERED,
    (ReceivableState.BANKRUPTCY_CLAIM, "settle"): ReceivableState.RECOVERED,
    (ReceivableState.OPEN, "transfer"): ReceivableState.TRANSFERRED,  # 20§(二)3: a successor owes it
    (ReceivableState.DEMANDED, "transfer"): ReceivableState.TRANSFERRED,
    (ReceivableState.LITIGATION, "write_off"): ReceivableState.WRITTEN_OFF,  # 20§(二)6, 21§(三)
    (ReceivableState.BANKRUPTCY_CLAIM, "write_off"): ReceivableState.WRITTEN_OFF,
}, {
    "open": "待收回", "demanded": "已催收", "litigation": "诉讼中", "bankruptcy_claim": "破产债权申报",
    "recovered": "已收回", "transferred": "已转由承继方承担", "written_off": "已核销",
    "demand": "发出催收通知", "sue": "提起诉讼", "claim_in_bankruptcy": "申报破产债权", "settle": "收回完毕",
    "transfer": "转由承继方承担", "write_off": "核销", "create": "登记应收回", "choose_method": "更改收回方式",
})

# DEPOSIT.md, a deposit check's finding: 新发 → 已通知 (a notice carried it) → 已整改 (the hospital changed its
# table and it is no longer found), 不再成立 (no longer found though the hospital changed nothing: a new
# reference, a peer's change) or 已核销 (基金结算 withdraws it, saying why); every move in the transition log
FINDING = Machine("deposit_finding", "住院预交金检查问题", {
    ("new", "notify"): "notified", ("notified", "notify"): "notified",
    ("new", "rectify"): "rectified", ("notified", "rectify"): "rectified",
    ("new", "clear"): "cleared", ("notified", "clear"): "cleared",
    ("new", "lapse"): "lapsed", ("notified", "lapse"): "lapsed",
}, {"new": "新发", "notified": "已通知", "rectified": "已整改", "cleared": "已核销", "lapsed": "不再成立",
    "notify": "通知", "rectify": "整改", "clear": "核销", "lapse": "不再成立"})

# GZ 16: the grassroots table, proposed by 基金结算 and approved (or returned) by 医保行政; a new proposal
# supersedes the one before, whatever its state
class GrassrootsState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    RETURNED = "returned"
    SUPERSEDED = "superseded"


_G = GrassrootsState
GRASSROOTS = Machine("grassroots_table", "基层医疗机构统一预交金额度", {
    (_G.PROPOSED, "approve"): _G.APPROVED, (_G.PROPOSED, "return"): _G.RETURNED,
    (_G.PROPOSED, "supersede"): _G.SUPERSEDED, (_G.APPROVED, "supersede"): _G.SUPERSEDED,
    (_G.RETURNED, "supersede"): _G.SUPERSEDED,
}, {"proposed": "待审核", "approved": "已审定", "returned": "已退回", "superseded": "已被取代", "approve": "审定",
    "return": "退回", "supersede": "取代"})

MACHINES = (CAMPAIGN, APPLICATION, DETERMINATION, AGREEMENT, BATCH, PAYMENT, RECEIVABLE, PRESETTLEMENT, FINDING,
            GRASSROOTS)
