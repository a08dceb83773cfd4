"""The return path's rules (RULES §5, §6): what an institution owes back, and what a month's
settlement withholds from it.

Pure functions over frozen values; the services read the figures, call these, and write what they
return. An amount owed back (a *receivable*) is always a claim on the advance the institution holds:
the ledger's 暂付款—医保预付金 balance of that institution never falls below what is still owed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Sequence

ZERO = Decimal("0.00")


class Route(StrEnum):
    """Why an institution owes money back, and so how it is recovered."""

    YEAR_END_DIFFERENCE = "year_end_difference"  # 17§ 滚动结算: the new advance is smaller (多退)
    CLEARANCE = "clearance"  # 17§ 清算: not qualified any more, or given up
    ANNUAL_RECOVERY = "annual_recovery"  # HB 二(四): every advance is recovered at year end
    TRIGGER = "trigger"  # 20§, HB 五: a recovery trigger was recorded
    PRESETTLEMENT = "presettlement"  # 26§: a monthly pre-settlement, deducted when the real settlement runs


ROUTE_CN = {
    Route.YEAR_END_DIFFERENCE: "年终差额收回（多退少补）",
    Route.CLEARANCE: "清算收回",
    Route.ANNUAL_RECOVERY: "年度收回",
    Route.TRIGGER: "触发收回",
    Route.PRESETTLEMENT: "月度预结金扣回",
}


class Method(StrEnum):
    """17§: how a year end's difference (多退) is repaid, chosen per institution. Every other debt is
    offset first, always (20§(二)1; RULES §6): a refund runs beside the offset, never instead of it."""

    OFFSET = "offset"  # 从月度结算款中扣减
    REFUND = "refund"  # 由机构交回


METHOD_CN = {Method.OFFSET: "冲抵结算款", Method.REFUND: "机构交回"}


class TriggerKind(StrEnum):
    """The nine triggers of 20§(一) (RULES §6)."""

    AGREEMENT_SUSPENDED = "agreement_suspended"
    SPLIT_OR_MERGER = "split_or_merger"
    OWNERSHIP_CHANGE = "ownership_change"
    ASSET_SEIZURE = "asset_seizure"
    UNFULFILLED_JUDGMENT = "unfulfilled_judgment"
    FRAUD = "fraud"
    MISUSE = "misuse"
    OFF_PLATFORM_PURCHASE = "off_platform_purchase"
    OTHER_LOSS = "other_loss"


# 20§(二)4–5: where a debt not refunded by its deadline goes, and the state each leads to (the wording of
# a lawsuit is the region's text's: ``year_end.court_action``)
COURT_ROUTES = {"litigation": "提起诉讼", "bankruptcy": "申报破产债权"}
COURT_ACTIONS = {"litigation": "sue", "bankruptcy": "claim_in_bankruptcy"}
assert set(COURT_ROUTES) == set(COURT_ACTIONS)

TRIGGER_CN = {
    TriggerKind.AGREEMENT_SUSPENDED: "中止或解除医保服务协议",
    TriggerKind.SPLIT_OR_MERGER: "分立、合并",
    TriggerKind.OWNERSHIP_CHANGE: "产权交易、所有制形式改变或注销",
    TriggerKind.ASSET_SEIZURE: "财产被保全",
    TriggerKind.UNFULFILLED_JUDGMENT: "未履行生效法律文书确认的经营性债务",
    TriggerKind.FRAUD: "隐瞒真实情况或以欺诈手段取得预付资格",
    TriggerKind.MISUSE: "违反预付金使用、管理和核算相关规定",
    TriggerKind.OFF_PLATFORM_PURCHASE: "公立医疗机构未在省平台采购全部药品耗材",
    TriggerKind.OTHER_LOSS: "其他丧失预付资格的情形",
}
# 20§(二)3: the debt passes to whoever takes the institution over
SUCCESSION_TRIGGERS = frozenset({TriggerKind.SPLIT_OR_MERGER, TriggerKind.OWNERSHIP_CHANGE})


@dataclass(frozen=True)
class Owed:
    """One receivable still open: ``outstanding`` is what remains to recover."""

    id: int
    outstanding: Decimal
    since: dt.date
    route: Route


@dataclass(frozen=True)
class Share:
    receivable_id: int
    amount: Decimal


@dataclass(frozen=True)
class MonthSettlement:
    """One institution's month in one fund: what is withheld, from which receivables, and paid."""

    payable: Decimal  # the month's fund settlement due to it (基金支付金额)
    withheld: Decimal  # offset against what it owes back (Cr 暂付款—医保预付金), ``applied`` included
    shares: tuple[Share, ...]
    held: Decimal  # HB 五: kept back until the advance is recovered (the register of held payments; no voucher)
    released: Decimal  # kept back earlier, paid now that nothing is owed (Dr 社会保险待遇支出 / Cr 支出户存款)
    net: Decimal  # paid to its bank account (Cr 支出户存款)
    still_owed: Decimal  # carried to the next month
    applied: Decimal = ZERO  # kept back earlier and applied to the debt now (Dr 社会保险待遇支出 / Cr 暂付款)

    @property
    def reason(self) -> str:
        parts = []
        if self.withheld:
            parts.append(f"扣回预付金 {self.withheld:,.2f} 元")
        if self.applied:
            parts.append(f"其中以此前暂停拨付的结算款抵扣 {self.applied:,.2f} 元（冀 五）")
        if self.still_owed:
            parts.append(f"尚欠 {self.still_owed:,.2f} 元结转下月")
        if self.held:
            parts.append(f"暂停拨付 {self.held:,.2f} 元至预付金收回（冀 五）")
        if self.released:
            parts.append(f"补付此前暂停拨付的 {self.released:,.2f} 元")
        return "；".join(parts)


def settle_month(payable: Decimal, owed: Sequence[Owed], hold_until_recovered: bool = False,
                 held_before: Decimal = ZERO, owed_by_refund: Decimal = ZERO,
                 apply_held: bool = False) -> MonthSettlement:
    """17§, 20§: withhold what is owed from the month's payable, oldest receivable first, never more
    than the payable nor more than what is owed; what is left is paid, and what is still owed carries.

    ``hold_until_recovered`` (HB 五, an institution under a recovery trigger): while its refund is not
    yet due, the whole month is kept back (nothing of it leaves the bureau); once the refund's due date
    has passed unpaid (``apply_held``, RULES §6), what was kept back (``held_before``) and the month are
    applied to the debt as an offset, and only a surplus is ever released, once nothing is owed
    (including what it is to refund itself, ``owed_by_refund``).
    """
    if payable < 0:
        raise ValueError("结算金额不能为负数")
    total = sum((o.outstanding for o in owed), ZERO)
    if hold_until_recovered and not apply_held and total + owed_by_refund > 0:
        return MonthSettlement(payable, ZERO, (), payable, ZERO, ZERO, total)
    usable = hold_until_recovered or apply_held  # held money goes to any debt whose refund is overdue
    pool = payable + (held_before if usable else ZERO)
    left, shares = pool, []
    for item in sorted(owed, key=lambda o: (o.since, o.id)):
        take = min(left, item.outstanding)
        if take > 0:
            shares.append(Share(item.id, take))
            left -= take
    withheld = pool - left
    applied = min(withheld, held_before) if usable else ZERO
    left = payable - (withheld - applied)
    still_owed = total - withheld
    owing = still_owed + owed_by_refund > 0
    held = left if hold_until_recovered and owing else ZERO
    kept = held_before - applied
    released = kept if not owing and kept > 0 else ZERO
    return MonthSettlement(payable, withheld, tuple(shares), held, released, left - held + released, still_owed,
                           applied)


class YearEnd(StrEnum):
    """What the end of a qualification year does to an institution's advance in one fund."""

    NOTHING = "nothing"  # held the same, or nothing held
    TOP_UP = "top_up"  # the new year's batch pays the difference
    REPAY_DIFFERENCE = "repay_difference"
    CLEAR = "clear"
    RECOVER = "recover"
    UNDECIDED = "undecided"  # the next year's signing window is still open


@dataclass(frozen=True)
class YearEndPlan:
    outcome: YearEnd
    amount: Decimal  # owed back (or paid, for a top-up)
    route: Route | None
    why: str


def plan_year_end(mode: str, held: Decimal, qualified: bool | None, new_amount: Decimal) -> YearEndPlan:
    """17§ (Nantong 滚动结算) or HB 二(四) (every advance recovered), decided by the profile's
    ``year_end.mode``, never by the region.

    ``qualified``: True when the institution holds a signed advance for the next year, False when it is
    not listed, gave up or never applied, None while its signing window is still open.
    """
    if held <= 0:
        return YearEndPlan(YearEnd.NOTHING, ZERO, None, "未持有预付金")
    if mode == "recover":  # HB 二(四): recovered before the year-end settlement, paid afresh next year
        return YearEndPlan(YearEnd.RECOVER, held, Route.ANNUAL_RECOVERY, "每年年终收回预付金（冀 二(四)）")
    if mode != "rollover":
        raise ValueError(f"未知的年终处理方式：{mode}")
    if qualified is None:
        return YearEndPlan(YearEnd.UNDECIDED, ZERO, None, "下一年度签约期未满，待定")
    if not qualified:
        return YearEndPlan(YearEnd.CLEAR, held, Route.CLEARANCE, "不再符合条件或放弃预付，清算收回（17§）")
    if new_amount < held:
        return YearEndPlan(YearEnd.REPAY_DIFFERENCE, held - new_amount, Route.YEAR_END_DIFFERENCE,
                           f"新核定 {new_amount:,.2f} 元少于原预付 {held:,.2f} 元，多退（17§）")
    if new_amount > held:
        return YearEndPlan(YearEnd.TOP_UP, new_amount - held, None,
                           f"新核定 {new_amount:,.2f} 元多于原预付 {held:,.2f} 元，少补（17§）")
    return YearEndPlan(YearEnd.NOTHING, ZERO, None, "新核定额度与原预付相同")


def waits_for_refund(route: Route, method: Method, refund_due_on: dt.date | None, on: dt.date) -> bool:
    """RULES §6, 17§ para 1, 20§(二)1: the deduction never stops while anything is owed; only a year
    end's 多退 difference that the bureau chose to have refunded waits for the refund, and only until the
    refund's due date set then (a demand does not move it), after which the settlements withhold it again."""
    return (route == Route.YEAR_END_DIFFERENCE and method == Method.REFUND and refund_due_on is not None
            and on <= refund_due_on)


def bar_until(found_on: dt.date, years: int) -> dt.date:
    """21§(六): barred for the profile's ``eligibility.bar_years`` (three under Nantong) from the finding;
    the last barred day is the day before that anniversary (29 February falls back to 28 February)."""
    try:
        anniversary = found_on.replace(year=found_on.year + years)
    except ValueError:
        anniversary = found_on.replace(year=found_on.year + years, day=28)
    return anniversary - dt.timedelta(days=1)


class PresettlementCase(StrEnum):
    """26§: the two cases of a monthly pre-settlement."""

    CANNOT_SETTLE = "cannot_settle"  # 第一款: settlement cannot run (e.g. the settlement system is changed)
    LARGE_GAP = "large_gap"  # 第二款: settled far below incurred: written application, four-level approval


CASE_CN = {
    PresettlementCase.CANNOT_SETTLE: "因结算程序改造等客观原因不能正常结算（26§第一款）",
    PresettlementCase.LARGE_GAP: "月度结算金额与实际发生金额相差较大（26§第二款）",
}


def presettlement_limit(case: PresettlementCase, incurred: Decimal, share: Decimal, settled: Decimal = ZERO,
                        budget_left: Decimal | None = None, already: Decimal = ZERO) -> tuple[Decimal, str]:
    """26§: at most ``share`` (90%) of the fund amount actually incurred, rounded down to the fen; within
    the total budget (第一款); for a large gap only the difference to what was settled (补差, 第二款).
    RULES §8: the limit is the month's, over every pre-settlement of it not rejected (``already``)."""
    cap = (incurred * share).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    earlier = f"，本月已登记预结 {already:,.2f} 元" if already else ""
    if case == PresettlementCase.CANNOT_SETTLE:
        if budget_left is None:
            raise ValueError("须提供总额指标余额")
        limit = min(cap, budget_left) - already
        return max(limit, ZERO), (f"实际发生 {incurred:,.2f} 元的 {share:.0%} 为 {cap:,.2f} 元，"
                                  f"总额指标余额 {budget_left:,.2f} 元{earlier}")
    limit = cap - settled - already
    return max(limit, ZERO), (f"实际发生 {incurred:,.2f} 元的 {share:.0%} 为 {cap:,.2f} 元，"
                              f"已结算 {settled:,.2f} 元（月度结算数据）{earlier}，补差")


def age_in_days(since: dt.date, today: dt.date) -> int:
    return max((today - since).days, 0)


AGE_BANDS = ((30, "30 天以内"), (90, "31—90 天"), (180, "91—180 天"), (365, "181—365 天"))


def age_band(days: int) -> str:
    for limit, label in AGE_BANDS:
        if days <= limit:
            return label
    return "一年以上"


