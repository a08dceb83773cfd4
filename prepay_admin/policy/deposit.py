"""Patient deposits (住院预交金, DEPOSIT.md): the bureau's reference amounts, as pure functions.

A deposit profile is a province's parameters (GZ, JL, XJ, or the national defaults), each citing its
article; the functions here compute a reference cell's figures from its admissions and pick the common
groups a hospital must publish. Nothing here reads a database.

Articles are cited as DEPOSIT.md cites them: "GZ 12", "JL 14", "XJ 24"; a value no text gives cites the
profile's own default ("默认") and says so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from operator import add
from typing import Any, Callable, Iterable, NamedTuple, Sequence

from .transitions import FINDING
from .workdays import add_days

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class InsuranceClass(StrEnum):
    """The insurance class a deposit table distinguishes (GZ 12, JL 14, XJ 22)."""

    EMPLOYEE = "employee"  # 职工医保 (险种类型 310)
    RESIDENT = "resident"  # 居民医保 (险种类型 390)
    SELF_PAY = "self_pay"  # 自费: not in the bureau's data, a proxy labelled 推算


CLASS_CN = {InsuranceClass.EMPLOYEE: "职工医保", InsuranceClass.RESIDENT: "居民医保", InsuranceClass.SELF_PAY: "自费"}


class Measure(StrEnum):
    """What "个人自付" is read as (DEPOSIT.md rule 1, interpretation): the profile chooses."""

    BURDEN = "burden"  # 个人自付 + 个人自费 = 个人负担总金额 (the product's reading, by default)
    COPAY = "copay"  # 个人自付 only (the narrow figure)
    CASH = "cash"  # 个人现金支出 (what left the patient's pocket)


MEASURE_CN = {Measure.BURDEN: "个人负担（自付＋自费）", Measure.COPAY: "个人自付", Measure.CASH: "个人现金支出"}


@dataclass(frozen=True)
class DepositProfile:
    """A province's deposit parameters (versioned data: ``profiles/deposit/*.toml``); ``articles`` names, per
    parameter, the article it implements, or "默认" where the text gives no value."""

    name: str
    version: int
    title: str
    source: str
    measure: Measure  # rule 1
    window_years: int  # rule 1: the complete calendar years before the reference year
    min_cases: int  # rule 1: a cell below it is 样本不足
    published_min_cases: int  # rule 1: anything sent out suppresses cells below it
    common_share: Decimal  # rule 3: cumulative share of cost, or of admissions
    missing_common_is_breach: bool  # rule 3: GZ 18 应包括 (breach) / JL 18 建议 (signal)
    freeze_from: dt.date | None  # rule 4: no deposit above the pre-rules standard from this day
    tolerance: Decimal  # a published deposit above the reference by more than this share is a finding
    below_ratio: Decimal  # rule 5(a)
    below_months: int  # rule 5(a)
    month_min_cases: int  # rule 5(a): a month with fewer cases breaks the run
    complaint_share: Decimal  # rule 5(b)
    standard_change: Decimal  # rule 5(c)
    recompute_days: int  # rule 5: within 30 days
    peer_ratio: Decimal  # rule 6
    peer_min: int  # rule 6
    billing_working_days: int  # rule 7
    grassroots_area: str  # rule 8: county by default
    red_finding_days: int  # the dashboard's list of advance holders with an old open finding
    articles: dict[str, str] = field(default_factory=dict, compare=False)
    # rule 5: whether a text obliges the hospital to recompute within ``recompute_days`` (XJ 24); elsewhere the
    # triggers are signals to adjust 适时 (GZ 13, JL 14), without a deadline
    recompute_obliged: bool = False
    # the yearly update (XJ 24 "原则上，每年…更新一次"): owed within these days of the year's reference, a signal;
    # None where the text has no such clause (GZ 13 and JL 14 ask only for 适时 adjustment: no check)
    update_days: int | None = None

    def article(self, parameter: str) -> str:
        return self.articles.get(parameter, "默认")


def to_cents(value: Decimal) -> Decimal:
    """四舍五入 to the fen."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Admission:
    """One inpatient stay as the bureau settled it: its settlements (and refunds, re-settlements) netted."""

    cost: Decimal  # 医疗费总额
    fund: Decimal  # 基金支付总额
    copay: Decimal  # 个人自付
    self_pay: Decimal  # 个人自费
    cash: Decimal  # 个人现金支出

    @property
    def burden(self) -> Decimal:
        """个人负担总金额 = 个人自付 + 个人自费."""
        return self.copay + self.self_pay

    def measured(self, measure: Measure) -> Decimal:
        return {Measure.BURDEN: self.burden, Measure.COPAY: self.copay, Measure.CASH: self.cash}[measure]


@dataclass(frozen=True)
class CellFigures:
    """A hospital × group × class cell's reference figures over its window (rule 1): pooled means per
    admission, untrimmed, with the median and P75 of the measure beside them."""

    cases: int
    mean_cost: Decimal
    mean_fund: Decimal
    mean_copay: Decimal
    mean_self_pay: Decimal
    mean_cash: Decimal
    reference: Decimal  # the mean of the profile's measure: what a deposit may not exceed
    median: Decimal
    p75: Decimal
    small: bool  # 样本不足: fewer cases than the profile's minimum, never used silently
    proxy: bool = False  # 推算 (the 自费 class): an estimate, never a basis for a finding (the hospital's prevails)


def half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` 四舍五入 to a whole number, halves away from zero (as ``ROUND_HALF_UP``);
    ``denominator`` > 0."""
    whole = (abs(numerator) * 2 + denominator) // (2 * denominator)
    return whole if numerator >= 0 else -whole


MEDIAN, P75 = (1, 2), (3, 4)  # the shares the reference shows, as exact ratios


def percentile_fen(ordered: Sequence[int], share: tuple[int, int]) -> int:
    """The ``share`` (a ratio: (3, 4) is P75) percentile of sorted fen, linearly interpolated between ranks
    (as PostgreSQL's ``percentile_cont`` and a spreadsheet's PERCENTILE), 四舍五入 to the fen; exact."""
    if not ordered:
        return 0
    num, den = share
    low, rest = divmod(num * (len(ordered) - 1), den)
    high = min(low + 1, len(ordered) - 1)
    return half_up(ordered[low] * den + (ordered[high] - ordered[low]) * rest, den)


def percentile(ordered: Sequence[Decimal], share: Decimal) -> Decimal:
    """``percentile_fen`` of sorted yuan (``share`` a Decimal: 0.75 is P75)."""
    if not ordered:
        return ZERO
    num, den = share.as_integer_ratio()
    return yuan(percentile_fen(_Fen(ordered), (num, den)))


class _Fen(Sequence[int]):
    """Sorted yuan read as fen where read: a percentile touches two of them."""

    def __init__(self, ordered: Sequence[Decimal]) -> None:
        self.ordered = ordered

    def __len__(self) -> int:
        return len(self.ordered)

    def __getitem__(self, k: Any) -> Any:
        return fen(self.ordered[k])


def cell_figures(admissions: Iterable[Admission], profile: DepositProfile) -> CellFigures:
    """Rule 1 (GZ 12, JL 14, XJ 22): the mean personal burden per admission and its companions (admissions as
    ``Admission``; the reference run passes its columns of fen to ``cell_fen``, the one definition)."""
    stays = list(admissions)
    return cell_figures_fen(StayColumns(*([fen(getattr(a, name)) for a in stays] for name in StayColumns._fields)),
                            profile)


def fen(amount: Decimal) -> int:
    """Yuan to integer fen (exact: amounts carry two decimals)."""
    return int(amount.scaleb(2))


def yuan(amount: int) -> Decimal:
    """Integer fen to yuan with its two decimals."""
    return Decimal(amount).scaleb(-2)


class StayColumns(NamedTuple):
    """A cell's admissions as columns of integer fen, one entry per admission, in the same order."""

    cost: Sequence[int]
    fund: Sequence[int]
    copay: Sequence[int]
    self_pay: Sequence[int]
    cash: Sequence[int]

    def measured(self, measure: Measure) -> list[int]:
        if measure == Measure.BURDEN:
            return list(map(add, self.copay, self.self_pay))  # 个人负担总金额 = 个人自付 + 个人自费
        return list(self.copay if measure == Measure.COPAY else self.cash)


class CellFen(NamedTuple):
    """``CellFigures`` in integer fen, as the reference run computes and stores them."""

    cases: int
    mean_cost: int
    mean_fund: int
    mean_copay: int
    mean_self_pay: int
    mean_cash: int
    reference: int
    median: int
    p75: int
    small: bool


class CellTotals(NamedTuple):
    """A cell's admissions summed: how many, and each amount's total in fen (what its means divide)."""

    cases: int
    cost: int
    fund: int
    copay: int
    self_pay: int
    cash: int


def cell_of_totals(totals: CellTotals, measured: Sequence[int], min_cases: int) -> CellFen:
    """Rule 1 (GZ 12, JL 14, XJ 22), the one definition: pooled means per admission (四舍五入 to the fen), the
    reference as the mean of the profile's measure, its median and P75, from a cell's totals and its admissions'
    measure (``measured``, sorted, one per admission); exact integer arithmetic."""
    n = totals.cases
    if not n:
        return CellFen(0, 0, 0, 0, 0, 0, 0, 0, 0, True)
    return CellFen(n, mean_fen(totals.cost, n), mean_fen(totals.fund, n), mean_fen(totals.copay, n),
                   mean_fen(totals.self_pay, n), mean_fen(totals.cash, n), mean_fen(sum(measured), n),
                   percentile_fen(measured, MEDIAN), percentile_fen(measured, P75), n < min_cases)


def mean_fen(total: int, cases: int) -> int:
    """Rule 1's mean per admission: ``total`` fen over ``cases`` 四舍五入 to the fen (0 without cases)."""
    return half_up(total, cases) if cases else 0


def cell_fen(stays: StayColumns, measure: Measure, min_cases: int) -> CellFen:
    """``cell_of_totals`` over a cell's columns of fen (one entry per admission)."""
    totals = CellTotals(len(stays.cost), *map(sum, stays))
    return cell_of_totals(totals, sorted(stays.measured(measure)), min_cases)


def reference_fen(stays: StayColumns, measure: Measure) -> int:
    """Rule 1's reference alone (last year's, beside the window's): ``cell_fen(…).reference``."""
    return mean_fen(sum(stays.measured(measure)), len(stays.cost))


def cell_figures_fen(stays: StayColumns, profile: DepositProfile) -> CellFigures:
    """``cell_fen`` in yuan."""
    c = cell_fen(stays, profile.measure, profile.min_cases)
    if not c.cases:
        return CellFigures(0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, True)
    return CellFigures(c.cases, yuan(c.mean_cost), yuan(c.mean_fund), yuan(c.mean_copay), yuan(c.mean_self_pay),
                       yuan(c.mean_cash), yuan(c.reference), yuan(c.median), yuan(c.p75), c.small)


@dataclass(frozen=True)
class GroupShare:
    """A disease group of a hospital's last year with its share of cost and of admissions (rule 3)."""

    group: str
    cost: Decimal
    admissions: int
    cumulative_cost_share: Decimal  # including this group, ordered by cost
    cumulative_admission_share: Decimal  # including this group, ordered by admissions
    common_by_cost: bool
    common_by_admissions: bool

    @property
    def common(self) -> bool:
        return self.common_by_cost or self.common_by_admissions


def common_groups(groups: Iterable[tuple[str, Decimal, int]], share: Decimal) -> tuple[GroupShare, ...]:
    """Rule 3 (GZ 18, JL 18): the groups that together make ``share`` of the hospital's inpatient cost, and
    those that make ``share`` of its admissions, each by cumulative share in descending order *including
    the group that crosses it*; ties ordered by group code. A table covering either set complies."""
    rows = [(g, c, n) for g, c, n in groups if n > 0]
    total_cost = sum((c for _, c, _ in rows), ZERO)
    total_n = sum(n for _, _, n in rows)
    by_cost = sorted(rows, key=lambda r: (-r[1], r[0]))
    by_n = sorted(rows, key=lambda r: (-r[2], r[0]))
    cost_share, n_share = _cumulative(by_cost, 1, total_cost), _cumulative(by_n, 2, Decimal(total_n))
    common_cost, common_n = _crossing(by_cost, 1, total_cost, share), _crossing(by_n, 2, Decimal(total_n), share)
    return tuple(GroupShare(g, c, n, cost_share[g], n_share[g], g in common_cost, g in common_n)
                 for g, c, n in by_cost)


def _cumulative(ordered: list[tuple[str, Decimal, int]], at: int, total: Decimal) -> dict[str, Decimal]:
    shares, running = {}, Decimal(0)
    for row in ordered:
        running += Decimal(row[at])
        shares[row[0]] = (running / total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if total else Decimal(0)
    return shares


def _crossing(ordered: list[tuple[str, Decimal, int]], at: int, total: Decimal, share: Decimal) -> set[str]:
    """The groups up to and including the one whose running total reaches ``share`` of ``total``, compared
    exactly (the shares shown are rounded: 49.9995% is not yet half)."""
    chosen, running = set(), Decimal(0)
    for row in ordered:
        chosen.add(row[0])
        running += Decimal(row[at])
        if running >= share * total:
            break
    return chosen


def change(last: Decimal | None, reference: Decimal) -> Decimal | None:
    """Last year's mean against the window's, as a share (+0.1250 = 12.5% higher), or None without either."""
    if last is None or not reference:
        return None
    return ((last - reference) / reference).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


class FindingKind(StrEnum):
    """What the monitoring finds (DEPOSIT.md rule 1–8), each with its article in the profile."""

    ABOVE_REFERENCE = "above_reference"  # rule 1: a published deposit above the mean personal burden
    ABOVE_FROZEN = "above_frozen"  # rule 4: above the hospital's standard before the rules
    COMMON_MISSING = "common_missing"  # rule 3: a common group missing from the published table
    BELOW_DEPOSIT = "below_deposit"  # rule 5(a): actual burden below 80% of the deposit for 3 months
    STANDARD_CHANGED = "standard_changed"  # rule 5(c): the group's payment standard moved by more than 10%
    COMPLAINTS = "complaints"  # rule 5(b): verified complaints above 5% of a month's admissions
    PEER_OUTLIER = "peer_outlier"  # rule 6: far above the peers of the same level and type
    NOT_UPDATED = "not_updated"  # rule 5 (XJ 24): the yearly update not done within the days of the new reference


FINDING_CN = {FindingKind.ABOVE_REFERENCE: "预交金额度高于同病种同类别个人平均负担",
              FindingKind.ABOVE_FROZEN: "预交金额度高于本细则实施前的标准",
              FindingKind.COMMON_MISSING: "常见病种未公示预交金额度",
              FindingKind.BELOW_DEPOSIT: "实际个人负担连续数月低于预交金额度（须重新测算）",
              FindingKind.STANDARD_CHANGED: "病组支付标准变动较大（须重新测算）",
              FindingKind.COMPLAINTS: "预交金投诉率超过规定比例（须重新测算）",
              FindingKind.PEER_OUTLIER: "预交金额度明显高于同级同类医院",
              FindingKind.NOT_UPDATED: "新的参考额度出具后未按期更新预交金额度"}
FINDING_STATUS_CN = {state: FINDING.label(state) for state in FINDING.states}
OPEN = tuple(state for state in FINDING.states if FINDING.actions_from(state))  # not yet rectified nor cleared
FINDING_PARAMETER = {FindingKind.ABOVE_REFERENCE: "tolerance", FindingKind.ABOVE_FROZEN: "freeze_from",
                     FindingKind.COMMON_MISSING: "missing_common_is_breach", FindingKind.BELOW_DEPOSIT: "below_ratio",
                     FindingKind.STANDARD_CHANGED: "standard_change", FindingKind.COMPLAINTS: "complaint_share",
                     FindingKind.PEER_OUTLIER: "peer_ratio", FindingKind.NOT_UPDATED: "update_days"}
# rule 5 (XJ 24): what obliges the hospital to recompute within the profile's days; found by the bureau
# before the hospital notices, closed when the hospital publishes a recomputed line
TRIGGERS = (FindingKind.BELOW_DEPOSIT, FindingKind.STANDARD_CHANGED, FindingKind.COMPLAINTS)
# what a recompute notice (重新测算提示函) carries: the triggers and the yearly update owed (XJ 24)
RECOMPUTE = (*TRIGGERS, FindingKind.NOT_UPDATED)
ALL_GROUPS = "全部病组"  # a finding about the hospital's whole table (rule 5(b))
# what a rectification notice (整改提示函) carries, and a recompute notice (重新测算提示函)
RECTIFY = (FindingKind.ABOVE_REFERENCE, FindingKind.ABOVE_FROZEN, FindingKind.COMMON_MISSING,
           FindingKind.PEER_OUTLIER)


@dataclass(frozen=True)
class Published:
    """A line of a hospital's published deposit table (住院预交金公示) in force."""

    group: str
    insurance_class: InsuranceClass
    amount: Decimal
    effective_on: dt.date
    prior_standard: Decimal | None  # its standard before the rules, where the hospital gave it


@dataclass(frozen=True)
class Finding:
    """One finding with its reasons: what, where, the figures it rests on, and whether it is a breach (red)
    or a signal for people to weigh."""

    kind: FindingKind
    group: str
    insurance_class: InsuranceClass | None
    breach: bool
    published: Decimal | None
    reference: Decimal | None
    message: str


def check_table(published: Iterable[Published], reference: dict[tuple[str, InsuranceClass], CellFigures],
                common: Iterable[GroupShare], profile: DepositProfile) -> tuple[Finding, ...]:
    """Rules 1, 3 and 4 for one hospital: each published line against the reference of its group and class (a
    样本不足 cell is no basis: never a finding) and against its pre-rules standard; each common group of last
    year missing from the table. Pure: the caller reads the lines in force, the current run and last year."""
    found: list[Finding] = []
    lines = list(published)
    for p in lines:
        cell = reference.get((p.group, p.insurance_class))
        if cell is not None and not cell.small and not cell.proxy and cell.cases:
            ceiling = to_cents(cell.reference * (1 + profile.tolerance))
            if p.amount > ceiling:
                found.append(Finding(FindingKind.ABOVE_REFERENCE, p.group, p.insurance_class, True, p.amount,
                                     cell.reference, f"{p.group} {CLASS_CN[p.insurance_class]}：公示 {p.amount:,.2f} 元，"
                                     f"高于个人平均负担 {cell.reference:,.2f} 元（{cell.cases} 例）"))
        if (p.prior_standard is not None and profile.freeze_from is not None and p.effective_on >= profile.freeze_from
                and p.amount > p.prior_standard):
            found.append(Finding(FindingKind.ABOVE_FROZEN, p.group, p.insurance_class, True, p.amount,
                                 p.prior_standard, f"{p.group} {CLASS_CN[p.insurance_class]}：公示 {p.amount:,.2f} 元，"
                                 f"高于 {profile.freeze_from} 前的标准 {p.prior_standard:,.2f} 元"))
    missing, why = common_missing(common, {p.group for p in lines})
    for group in missing:
        found.append(Finding(FindingKind.COMMON_MISSING, group, None, profile.missing_common_is_breach, None,
                             None, f"{group}：上年住院{why}累计占比 {profile.common_share:.0%} 以内的常见病种，"
                             f"未公示预交金额度（据医保结算数据，不含自费患者）"))
    return tuple(found)


def common_missing(common: Iterable[GroupShare], shown: set[str]) -> tuple[tuple[str, ...], str | None]:
    """Rule 3 (GZ 18, JL 18): the common groups a table showing ``shown`` lacks — none when it covers either set
    (by cost or by admissions), else the gaps of the set nearer to covered and which it is (费用 or 人次)."""
    groups = list(common)
    by_cost = tuple(g.group for g in groups if g.common_by_cost and g.group not in shown)
    by_admissions = tuple(g.group for g in groups if g.common_by_admissions and g.group not in shown)
    if not (by_cost and by_admissions):
        return (), None
    return (by_cost, "费用") if len(by_cost) <= len(by_admissions) else (by_admissions, "人次")


# -- rule 5: what obliges a hospital to recompute (XJ 24; GZ 13, JL 14's 较大变化 as a signal) -------------

@dataclass(frozen=True)
class MonthActual:
    """A hospital × group × class's admissions discharged in a month (local patients, settlements netted):
    their count and their mean of the profile's measure."""

    month: dt.date  # its first day
    cases: int
    mean: Decimal  # to the fen, as shown
    total: Decimal | None = None  # the exact sum the mean rounds (compared exactly where given)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def below_streak(months: Iterable[MonthActual], deposit: Decimal, since: dt.date,
                 profile: DepositProfile) -> tuple[MonthActual, ...]:
    """Rule 5(a): the latest run of consecutive calendar months, each whole month under the deposit (from
    ``since``, its effective date, on), each with at least ``month_min_cases`` admissions and a mean burden
    *below* ``below_ratio`` × the deposit (80% exactly is not below), if it lasts ``below_months`` or more;
    else (). A month without admissions, or with fewer, breaks the run."""
    if deposit <= 0:
        return ()
    ceiling = profile.below_ratio * deposit
    run: list[MonthActual] = []
    best: tuple[MonthActual, ...] = ()
    for m in sorted(months, key=lambda m: m.month):
        if m.month < since:
            continue
        below = m.cases >= profile.month_min_cases and (
            m.total < ceiling * m.cases if m.total is not None else m.mean < ceiling)
        if below and run and next_month(run[-1].month) == m.month:
            run.append(m)
        elif below:
            run = [m]
        else:
            run = []
        if len(run) >= profile.below_months:
            best = tuple(run)
    return best


def standard_moved(previous: Decimal, current: Decimal, profile: DepositProfile) -> bool:
    """Rule 5(c): a payment standard changed by more than ``standard_change`` of the previous one (10% exactly
    is not more); a group without a previous standard has not changed."""
    return previous > 0 and abs(current - previous) > profile.standard_change * previous


def share_change(previous: Decimal, current: Decimal) -> Decimal:
    return ((current - previous) / previous).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class StandardChange:
    """A group × class's payment standard of the year against the year before (rule 5(c))."""

    group: str
    insurance_class: InsuranceClass
    previous: Decimal
    current: Decimal
    takes_effect: dt.date  # the first day of the year of the new standard


def check_triggers(published: Iterable[Published], actual: dict[tuple[str, InsuranceClass], list[MonthActual]],
                   changes: Iterable[StandardChange], cases: Iterable[tuple[str, InsuranceClass]],
                   profile: DepositProfile) -> tuple[Finding, ...]:
    """Rule 5 for one hospital: (a) each published line whose group's actual burden stayed below the
    threshold for the months the profile names since it took effect; (c) each group and class the hospital
    has admissions in (``cases``, published or not) whose payment standard moved by more than the profile's
    share, unless a line of it took effect since the new standard did (recomputed already). Each is the
    hospital's to recompute within ``recompute_days``; neither is a breach until that passes."""
    found: list[Finding] = []
    lines = {(p.group, p.insurance_class): p for p in published}
    for key, p in sorted(lines.items()):
        streak = below_streak(actual.get(key, ()), p.amount, p.effective_on, profile)
        if streak:
            found.append(Finding(FindingKind.BELOW_DEPOSIT, p.group, p.insurance_class, False, p.amount,
                                 streak[-1].mean, f"{p.group} {CLASS_CN[p.insurance_class]}：{streak[0].month:%Y-%m} 至 "
                                 f"{streak[-1].month:%Y-%m} 连续 {len(streak)} 个月实际次均个人负担低于预交金额度 "
                                 f"{p.amount:,.2f} 元的 {profile.below_ratio:.0%}"
                                 + (f"（最近一月 {streak[-1].mean:,.2f} 元，{streak[-1].cases} 例）"
                                    if streak[-1].cases >= profile.published_min_cases else "")))
    having = set(cases)
    for c in sorted(changes, key=lambda c: (c.group, c.insurance_class)):
        key = (c.group, c.insurance_class)
        if key not in having or not standard_moved(c.previous, c.current, profile):
            continue
        line = lines.get(key)
        if line is not None and line.effective_on >= c.takes_effect:
            continue  # recomputed since the new standard
        found.append(Finding(FindingKind.STANDARD_CHANGED, c.group, c.insurance_class, False,
                             line.amount if line else None, None,
                             f"{c.group} {CLASS_CN[c.insurance_class]}：支付标准由 {c.previous:,.2f} 元调整为 "
                             f"{c.current:,.2f} 元（{share_change(c.previous, c.current):+.2%}，超过 "
                             f"{profile.standard_change:.0%}），自 {c.takes_effect} 起执行"))
    return tuple(found)


def updated_since(published: Iterable[Published], since: dt.date) -> bool:
    """Whether a hospital's whole table in force was republished on or after ``since``: every line of it taking
    effect that day or later (an unchanged amount republished counts: the hospital has recomputed it)."""
    lines = list(published)
    return bool(lines) and all(p.effective_on >= since for p in lines)


def check_update(published: Iterable[Published], year: int, reference_on: dt.date, on: dt.date,
                 profile: DepositProfile, is_workday: Callable[[dt.date], bool | None] = lambda day: True
                 ) -> Finding | None:
    """The yearly update (XJ 24 "原则上，每年根据最新医保结算数据…进行一次更新"), where the profile has it: a
    hospital whose table in force on ``on`` still holds a line from before ``year`` (the reference year: a table
    republished whole since its first day rests on the latest data, the window's) once ``update_days`` have
    passed since its reference of the year was made (``reference_on``; the last day itself is in time, and a last
    day that is not a working day on ``is_workday`` moves to the next one). A signal: the text says 原则上, and
    gives its 30 days to the triggers, not to the update."""
    if profile.update_days is None:
        return None
    lines = list(published)
    since = dt.date(year, 1, 1)
    due = add_days(reference_on, profile.update_days, is_workday).date
    if not lines or on <= due or updated_since(lines, since):
        return None
    stale = sum(p.effective_on < since for p in lines)
    latest = max(p.effective_on for p in lines)
    return Finding(FindingKind.NOT_UPDATED, ALL_GROUPS, None, False, None, None,
                   f"{year} 年度参考额度于 {reference_on} 出具，{profile.update_days} 日后（{due} 后）公示表仍未整体更新："
                   f"{stale} 条公示额度为 {since} 前生效（最近一次公示 {latest}）")


# -- item 8: the patients' side of the advance ---------------------------------------------------------

def float_released(census: Decimal, lines: Iterable[tuple[int, Decimal, Decimal]]) -> Decimal | None:
    """The deposit float a hospital's insured patients no longer advance (DEPOSIT.md item 8, an estimate): its
    average insured census (inpatients at once) × the fall of its admission-weighted deposit, each line's
    standard before the rules against its amount in force weighted by last year's admissions of its group
    and class ``(admissions, before, now)``. None where no line gives a standard before."""
    weighted = [(n, before - now) for n, before, now in lines if n > 0]
    cases = sum(n for n, _ in weighted)
    if not cases:
        return None
    fall = sum((n * d for n, d in weighted), ZERO) / cases
    return to_cents(census * fall)



def complaints_exceed(verified: int, admissions: int, profile: DepositProfile) -> bool:
    """Rule 5(b): verified complaints *more* than ``complaint_share`` of the month's admissions (5% exactly is
    not more); a month without admissions has no rate."""
    return admissions > 0 and Decimal(verified) > profile.complaint_share * admissions


def check_complaints(complaints: Iterable[tuple[dt.date, int]], admissions: dict[dt.date, int],
                     profile: DepositProfile, since: dt.date | None = None) -> tuple[Finding, ...]:
    """Rule 5(b) for one hospital: its latest month (begun on or after ``since``, when its whole table was last
    recomputed: a recomputation answers the complaints before it) whose verified complaints exceed the share
    of its admissions of that month (all its admissions, 异地 included; a month under the profile's
    ``min_cases`` admissions gives no rate), as one trigger about its whole table."""
    over = [(m, n) for m, n in sorted(complaints) if (since is None or m >= since)
            and admissions.get(m, 0) >= profile.min_cases and complaints_exceed(n, admissions.get(m, 0), profile)]
    if not over:
        return ()
    month, n = over[-1]
    rate = (Decimal(n) / admissions[month]).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return (Finding(FindingKind.COMPLAINTS, ALL_GROUPS, None, False, None, None,
                    f"{month:%Y-%m} 核实成立的预交金投诉 {n} 件，占当月住院 {admissions[month]} 人次的 {rate:.2%}，"
                    f"超过 {profile.complaint_share:.0%}"),)


@dataclass(frozen=True)
class PeerLine:
    """A published line in force of a hospital, with its peer group (rule 6: the same level and type in the
    same area)."""

    institution_id: int
    peer_group: tuple[str, ...]  # (area, level, kind)
    group: str
    insurance_class: InsuranceClass
    amount: Decimal


def median(values: Sequence[Decimal]) -> Decimal:
    return percentile(sorted(values), Decimal("0.5"))


def peer_outliers(lines: Iterable[PeerLine], profile: DepositProfile) -> dict[int, tuple[Finding, ...]]:
    """Rule 6 (GZ 13, JL 14, XJ 27): a line above ``peer_ratio`` × the median of the same group and class at
    its peers (the other hospitals of its level, type and area), where it has at least ``peer_min`` peers; a
    signal, per hospital."""
    cells: dict[tuple[tuple[str, ...], str, InsuranceClass], list[PeerLine]] = {}
    for line in lines:
        cells.setdefault((line.peer_group, line.group, line.insurance_class), []).append(line)
    out: dict[int, list[Finding]] = {}
    for (_, group, cls), members in cells.items():
        if len(members) - 1 < profile.peer_min:
            continue
        for line in members:
            others = median([m.amount for m in members if m is not line])
            if others > 0 and line.amount > profile.peer_ratio * others:
                out.setdefault(line.institution_id, []).append(Finding(
                    FindingKind.PEER_OUTLIER, group, cls, False, line.amount, others,
                    f"{group} {CLASS_CN[cls]}：公示 {line.amount:,.2f} 元，为同级同类 {len(members) - 1} 家医院中位数 "
                    f"{others:,.2f} 元的 {line.amount / others:.2f} 倍（超过 {profile.peer_ratio} 倍）"))
    return {i: tuple(f) for i, f in out.items()}


# -- rule 8 (GZ 16): a uniform amount for grassroots institutions -------------------------------------------

def is_grassroots(kind: str, level: int) -> bool:
    """A grassroots institution (基层医疗卫生机构): a community health centre, or a hospital not graded above
    the first level (乡镇卫生院 and the like) — those GZ 16 lets the bureau compute for."""
    return kind == "community_health_center" or (kind == "hospital" and level <= 1)


def area_of(institution_code: str, area: str) -> str:
    """The area a uniform amount is set for (rule 8): the county of the institution's code (its 6-digit
    division, as the national code carries it), or its prefecture."""
    division = institution_code[1:7]
    return division if area == "county" else division[:4] + "00"


@dataclass(frozen=True)
class GrassrootsLine:
    area: str
    group: str
    insurance_class: InsuranceClass
    institutions: int
    cases: int
    mean: Decimal  # the pooled mean burden of the area's grassroots admissions
    amount: Decimal  # the uniform deposit: the mean, down to the yuan (never above it)
    small: bool  # 样本不足 over the area
    proxy: bool  # 自费: from the insured cost (推算)


def grassroots_lines(cells: Iterable[tuple[str, str, InsuranceClass, int, Decimal, bool]],
                     profile: DepositProfile) -> tuple[GrassrootsLine, ...]:
    """Rule 8 (GZ 16): per area × group × class, the pooled mean of the grassroots institutions' cells
    ``(area, group, class, cases, mean, proxy)`` weighted by their cases (each cell's mean is within half a fen
    of its sum ÷ cases), and the uniform amount: that mean rounded down to the yuan, so that no patient's
    deposit exceeds what patients bear on average. An area's cell under the minimum cases is 样本不足."""
    pooled: dict[tuple[str, str, InsuranceClass], list[tuple[int, Decimal, bool]]] = {}
    for area, group, cls, cases, mean, proxy in cells:
        if cases > 0:
            pooled.setdefault((area, group, cls), []).append((cases, mean, proxy))
    out = []
    for (area, group, cls), members in sorted(pooled.items()):
        n = sum(c for c, _, _ in members)
        mean = to_cents(sum((c * m for c, m, _ in members), ZERO) / n)
        out.append(GrassrootsLine(area, group, cls, len(members), n, mean, mean.quantize(Decimal("1"), rounding=ROUND_DOWN)
                                  .quantize(CENT), n < profile.min_cases, any(p for _, _, p in members)))
    return tuple(out)
