"""Reading the deposit reference (DEPOSIT.md): a region's current run of a year and its cells, filtered and
paged by keyset (a prefecture holds up to 250,000 cells: never an OFFSET over them)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import sessionmaker

from ..db import days_between
from ..models import (
    DepositBilling,
    DepositCell,
    DepositFinding,
    DepositRun,
    Discharge,
    GrassrootsAmount,
    GrassrootsTable,
    Institution,
    IssuedDocument,
    PublishedDeposit,
)
from ..policy.deposit import (
    CLASS_CN,
    FINDING_CN,
    FINDING_STATUS_CN,
    OPEN,
    RECOMPUTE,
    RECTIFY,
    FindingKind,
    InsuranceClass,
    change,
    common_groups,
    common_missing,
    float_released,
    to_cents,
)
from ..policy.transitions import GRASSROOTS, GrassrootsState
from ..profiles.deposit import load_deposit_profile
from ..services.deposit import RATIO_BINS, current_run, in_force_lines, last_year_groups, standing_on
from ..services.errors import NotFound
from ..services.positions import held_by_institution
from ..services.unit_of_work import find_region


@dataclass(frozen=True)
class RunLine:
    id: int
    year: int
    window_from: dt.date
    window_to: dt.date
    profile: str
    measure: str
    inputs_sha256: str
    settlements: int
    admissions: int
    out_of_region: int
    cells: int
    computed_by: str
    computed_at: dt.datetime


@dataclass(frozen=True)
class CellLine:
    id: int
    institution_code: str
    institution_name: str
    group_code: str
    insurance_class: str
    class_cn: str
    cases: int
    mean_cost: Decimal
    mean_fund: Decimal
    mean_copay: Decimal
    mean_self_pay: Decimal
    reference: Decimal
    median: Decimal
    p75: Decimal
    last_year_reference: Decimal | None
    change: Decimal | None  # last year's mean against the window's
    small: bool  # 样本不足
    proxy: bool  # 推算
    out_of_region_cases: int


@dataclass(frozen=True)
class ReferencePage:
    run: RunLine
    cells: tuple[CellLine, ...]
    next_after: int | None  # the keyset of the next page (a cell id), None on the last


def reference_page(sessions: sessionmaker, region_code: str, year: int, *, institution: str | None = None,
                   group: str | None = None, insurance_class: InsuranceClass | None = None, after: int = 0,
                   size: int = 50) -> ReferencePage:
    """The cells of the region's current run of ``year``, by cell id after ``after``, filtered."""
    with sessions() as session:
        region = find_region(session, region_code)
        run = current_run(session, region.id, year)
        if run is None:
            raise NotFound(f"{region.name} 尚未测算 {year} 年度的住院预交金参考额度", "year")
        where = [DepositCell.run_id == run.id, DepositCell.id > after]
        if institution:
            where.append(Institution.code == institution)
        if group:
            where.append(DepositCell.group_code == group)
        if insurance_class:
            where.append(DepositCell.insurance_class == insurance_class)
        rows = session.execute(select(DepositCell, Institution.code, Institution.name)
                               .join(Institution, Institution.id == DepositCell.institution_id)
                               .where(*where).order_by(DepositCell.id).limit(size + 1)).all()
        cells = tuple(_cell(c, code, name) for c, code, name in rows[:size])
        return ReferencePage(_run(run), cells, cells[-1].id if len(rows) > size else None)


def _run(run: DepositRun) -> RunLine:
    return RunLine(run.id, run.year, run.window_from, run.window_to, f"{run.profile_name} 第 {run.profile_version} 版",
                   run.measure, run.inputs_sha256, run.settlements, run.admissions, run.out_of_region, run.cells,
                   run.computed_by, run.computed_at)


def _cell(c: DepositCell, code: str, name: str) -> CellLine:
    cls = InsuranceClass(c.insurance_class)
    return CellLine(c.id, code, name, c.group_code, cls.value, CLASS_CN[cls], c.cases, c.mean_cost, c.mean_fund,
                    c.mean_copay, c.mean_self_pay, c.reference, c.median, c.p75, c.last_year_reference,
                    change(c.last_year_reference, c.reference), c.small, c.proxy, c.out_of_region_cases)


@dataclass(frozen=True)
class FindingLine:
    id: int
    institution_code: str
    institution_name: str
    kind: str
    kind_cn: str
    group_code: str
    class_cn: str
    breach: bool
    article: str
    published: Decimal | None
    reference: Decimal | None
    message: str
    status: str
    status_cn: str
    found_on: dt.date
    last_seen_on: dt.date
    due_on: dt.date | None = None  # a recompute trigger's deadline (XJ 24)
    notice_id: int | None = None  # the notice that carried it
    cleared_note: str | None = None  # 已核销: why, by whom

    @property
    def open(self) -> bool:
        return self.status in OPEN

    def overdue(self, on: dt.date) -> bool:
        return self.open and self.due_on is not None and self.due_on < on


def findings(sessions: sessionmaker, region_code: str, *, status: str | None = None, after: int = 0,
             size: int = 50) -> tuple[FindingLine, ...]:
    """The region's findings (open ones when ``status`` is None), by id after ``after``."""
    with sessions() as session:
        region = find_region(session, region_code)
        where = [DepositFinding.region_id == region.id, DepositFinding.id > after,
                 DepositFinding.status.in_(OPEN) if status is None else DepositFinding.status == status]
        rows = session.execute(select(DepositFinding, Institution.code, Institution.name)
                               .join(Institution, Institution.id == DepositFinding.institution_id)
                               .where(*where).order_by(DepositFinding.id).limit(size)).all()
        return tuple(_finding(f, code, name) for f, code, name in rows)


# -- the region's dashboard and a hospital's page (DEPOSIT.md item 7) --------------------------------------

# a deposit at the reference is within it: each bin holds its upper edge
RATIO_LABELS = ("不超过 50%", "50%—80%", "80%—100%", "超出 0—20%", "超出 20%—50%", "超出 50% 以上")


@dataclass(frozen=True)
class TriggerLine:
    finding: FindingLine
    due_on: dt.date
    days_left: int  # negative: overdue


@dataclass(frozen=True)
class BillingLine:
    code: str
    name: str
    month: dt.date
    settlements: int
    within: int

    @property
    def rate(self) -> Decimal:
        return (Decimal(self.within) / self.settlements).quantize(Decimal("0.0001")) if self.settlements else Decimal(0)


@dataclass(frozen=True)
class Billing:
    """Rule 7 (GZ 19, JL 20): a month's settlements within the working days of discharge, region-wide and the
    hospitals that settle latest."""

    month: dt.date
    working_days: int
    settlements: int
    within: int
    slowest: tuple[BillingLine, ...]

    @property
    def rate(self) -> Decimal:
        return (Decimal(self.within) / self.settlements).quantize(Decimal("0.0001")) if self.settlements else Decimal(0)


def _billing(session, region_id: int) -> Billing | None:
    month = session.scalar(select(func.max(DepositBilling.month)).where(DepositBilling.region_id == region_id))
    if month is None:
        return None
    rows = session.execute(select(Institution.code, Institution.name, DepositBilling).join(
        Institution, Institution.id == DepositBilling.institution_id).where(
        DepositBilling.region_id == region_id, DepositBilling.month == month)).all()
    lines = [BillingLine(code, name, b.month, b.settlements, b.within) for code, name, b in rows]
    slowest = tuple(sorted((b for b in lines if b.within < b.settlements), key=lambda b: (b.rate, b.code))[:10])
    return Billing(month, rows[0][2].working_days, sum(b.settlements for b in lines), sum(b.within for b in lines),
                   slowest)


@dataclass(frozen=True)
class RedHolder:
    code: str
    name: str
    held: Decimal  # 暂付款—医保预付金 it holds, all funds
    breaches: int  # open, found more than the profile's days ago
    oldest: dt.date


@dataclass(frozen=True)
class Overview:
    year: int
    on: dt.date
    run: RunLine | None
    hospitals: int  # with local admissions in the run
    publishing: int  # of them, with a table in force
    lines: int  # published lines in force with a reference to compare (not 样本不足)
    compliant: int  # of them, not above the reference (with the profile's tolerance)
    distribution: tuple[tuple[str, int], ...]  # deposit ÷ reference, by bin
    open_by_kind: tuple[tuple[str, str, int, int], ...]  # kind, label, open, of them notified
    excesses: tuple[FindingLine, ...]  # the largest excesses above the reference, open
    triggers: tuple[TriggerLine, ...]  # open recompute triggers, the nearest deadline first
    silent: tuple[tuple[str, str, int], ...]  # hospitals with the most admissions and no table: code, name, cases
    recompute_days: int  # rule 5: the profile's days to recompute
    recompute_article: str
    # item 8: institutions holding an advance with an open breach found more than ``red_days`` ago
    red_holders: tuple[RedHolder, ...] = ()
    red_days: int = 0
    billing: Billing | None = None  # rule 7: the last whole month computed
    as_of: dt.date | None = None  # the day the publishing and compliance figures describe: the last check's

    @property
    def red_held(self) -> Decimal:
        return sum((h.held for h in self.red_holders), Decimal("0.00"))

    @property
    def compliance(self) -> Decimal | None:
        return (Decimal(self.compliant) / self.lines).quantize(Decimal("0.0001")) if self.lines else None


def overview(sessions: sessionmaker, region_code: str, year: int, on: dt.date) -> Overview:
    """The region's deposits at a glance on ``on``, against the year's current reference: who publishes, how
    the published amounts stand against the reference, what is open and what falls due."""
    with sessions() as session:
        return overview_in(session, find_region(session, region_code), year, on)


def overview_in(session, region, year: int, on: dt.date, kept_ok: bool = True) -> Overview:
    """``overview`` inside a session already open (the quarterly report's step)."""
    profile = load_deposit_profile(region.deposit_profile)
    run = current_run(session, region.id, year)
    standing = standing_on(session, run, on, kept_ok) if run is not None else None
    hospitals, publishing, lines, compliant = ((standing.hospitals, standing.publishing, standing.lines,
                                                standing.compliant) if standing else (0, 0, 0, 0))
    bins = list(standing.bins) if standing else [0] * (len(RATIO_BINS) + 1)
    silent = standing.silent if standing else ()
    open_rows = session.execute(select(DepositFinding.kind, DepositFinding.status, func.count())
                                .where(DepositFinding.region_id == region.id, DepositFinding.status.in_(OPEN))
                                .group_by(DepositFinding.kind, DepositFinding.status)).all()
    by_kind: dict[str, list[int]] = {}
    for kind, status, n in open_rows:
        counts = by_kind.setdefault(kind, [0, 0])
        counts[0] += n
        counts[1] += n if status == "notified" else 0
    excess = DepositFinding.published - DepositFinding.reference
    excesses = _top_findings(session, select(DepositFinding).where(
        DepositFinding.region_id == region.id, DepositFinding.status.in_(OPEN),
        DepositFinding.kind == FindingKind.ABOVE_REFERENCE.value).order_by(excess.desc(), DepositFinding.id).limit(10))
    due = _top_findings(session, select(DepositFinding).where(
        DepositFinding.region_id == region.id, DepositFinding.status.in_(OPEN),
        DepositFinding.kind.in_([k.value for k in RECOMPUTE])).order_by(DepositFinding.due_on, DepositFinding.id)
        .limit(20))
    return Overview(year, on, _run(run) if run else None, hospitals, publishing, lines, compliant,
                    tuple(zip(RATIO_LABELS, bins)),
                    tuple((k.value, FINDING_CN[k], *by_kind[k.value]) for k in FindingKind if k.value in by_kind),
                    excesses, tuple(TriggerLine(f, f.due_on, (f.due_on - on).days) for f in due if f.due_on),
                    tuple((c, n, int(k)) for c, n, k in silent), profile.recompute_days,
                    profile.article("recompute_days"), _red_holders(session, region.id, on, profile.red_finding_days),
                    profile.red_finding_days, _billing(session, region.id), standing.on if standing else None)


def _red_holders(session, region_id: int, on: dt.date, days: int) -> tuple[RedHolder, ...]:
    """Item 8: the institutions holding an advance (what they hold: ``services.positions``, the one definition)
    with an open breach found more than ``days`` before ``on``, the largest holding first."""
    old = session.execute(select(DepositFinding.institution_id, func.count(), func.min(DepositFinding.found_on))
                          .where(DepositFinding.region_id == region_id, DepositFinding.status.in_(OPEN),
                                 DepositFinding.breach.is_(True),
                                 DepositFinding.found_on <= on - dt.timedelta(days=days))
                          .group_by(DepositFinding.institution_id)).all()
    if not old:
        return ()
    held: dict[int, Decimal] = {}
    for (institution_id, _fund), amount in held_by_institution(session, region_id).items():
        held[institution_id] = held.get(institution_id, Decimal("0.00")) + amount
    names = dict(session.execute(select(Institution.id, Institution.code).where(
        Institution.id.in_([i for i, _, _ in old]))).all())
    titles = dict(session.execute(select(Institution.id, Institution.name).where(
        Institution.id.in_([i for i, _, _ in old]))).all())
    out = [RedHolder(names[i], titles[i], held.get(i, Decimal("0.00")), n, first) for i, n, first in old
           if held.get(i, Decimal("0.00")) > 0]
    return tuple(sorted(out, key=lambda h: (-h.held, h.code)))


def _top_findings(session, query) -> tuple[FindingLine, ...]:
    """The first findings of ``query`` (ordered and limited), then their institutions: the top of a region's
    tens of thousands of findings is taken before any join (a join first made PostgreSQL, its statistics not yet
    refreshed after a check, loop over every institution for each finding: 270 ms at 8,000 findings)."""
    found = session.scalars(query).all()
    names = {i: (code, name) for i, code, name in session.execute(select(
        Institution.id, Institution.code, Institution.name).where(Institution.id.in_({f.institution_id for f in found})))}
    return tuple(_finding(f, *names[f.institution_id]) for f in found)


def _finding_lines(session, query) -> tuple[FindingLine, ...]:
    return tuple(_finding(f, code, name) for f, code, name in session.execute(query).all())


def _finding(f: DepositFinding, code: str, name: str) -> FindingLine:
    return FindingLine(f.id, code, name, f.kind, FINDING_CN[FindingKind(f.kind)], f.group_code,
                       CLASS_CN[InsuranceClass(f.insurance_class)] if f.insurance_class else "—", f.breach, f.article,
                       f.published, f.reference, f.message, f.status, FINDING_STATUS_CN[f.status], f.found_on,
                       f.last_seen_on, f.due_on, f.notice_id, f.cleared_note)


@dataclass(frozen=True)
class TableLine:
    """A published line in force beside the reference of its cell."""

    group_code: str
    class_cn: str
    amount: Decimal
    effective_on: dt.date
    prior_standard: Decimal | None
    basis: str | None
    cases: int | None  # None: no cell in the run (no local admissions in the window)
    reference: Decimal | None
    small: bool
    proxy: bool
    ratio: Decimal | None  # amount ÷ reference
    above: bool  # above the reference with the profile's tolerance (never on a 样本不足 cell)


@dataclass(frozen=True)
class CommonLine:
    """A common group of the hospital's last year (rule 3): its cost and admissions with their cumulative shares
    ordered by each, which set it belongs to, and whether its table in force has a line of it."""

    group_code: str
    cost: Decimal
    admissions: int
    cumulative_cost_share: Decimal
    cumulative_admission_share: Decimal
    by_cost: bool
    by_admissions: bool
    published: bool


@dataclass(frozen=True)
class NoticeLine:
    id: int
    kind: str  # a registered document kind (its title: the registry's, as the shells show it)
    file_name: str
    generated_at: dt.datetime
    generated_by: str
    superseded: bool


@dataclass(frozen=True)
class Hospital:
    code: str
    name: str
    year: int
    on: dt.date
    run: RunLine | None
    lines: tuple[TableLine, ...]
    unpublished: tuple[CellLine, ...]  # cells with the most admissions and no line in force
    findings: tuple[FindingLine, ...]  # every status, the open first
    notices: tuple[NoticeLine, ...]
    open_rectify: int  # open findings a 整改提示函 would carry
    open_triggers: int  # open findings a 重新测算提示函 would carry
    billing: tuple[BillingLine, ...] = ()  # rule 7, by month, the latest first
    published_min_cases: int = 5  # rule 1: what is sent out leaves out cells under it
    common: tuple[CommonLine, ...] = ()  # rule 3: the groups it should publish, by cost
    common_share: Decimal = Decimal("0.5")  # rule 3: the cumulative share that makes a group common
    common_missing: tuple[str, ...] = ()  # rule 3: what the check finds missing (none: a set is covered)

    @property
    def common_gaps(self) -> tuple[int, int]:
        """Rule 3: the common groups by cost, and by admissions, that its table lacks."""
        return (sum(c.by_cost and not c.published for c in self.common),
                sum(c.by_admissions and not c.published for c in self.common))


def hospital(sessions: sessionmaker, region_code: str, year: int, code: str, on: dt.date) -> Hospital:
    """One hospital's deposits: its table in force against the year's reference, the groups it has not
    published, its findings (with the notice that carried each) and the notices issued to it."""
    with sessions() as session:
        region = find_region(session, region_code)
        inst = session.scalar(select(Institution).where(Institution.region_id == region.id,
                                                        Institution.code == code.strip().upper()))
        if inst is None:
            raise NotFound(f"{region.name} 没有定点医药机构 {code}", "institution")
        profile = load_deposit_profile(region.deposit_profile)
        run = current_run(session, region.id, year)
        cells = {} if run is None else {(c.group_code, c.insurance_class): c for c in session.scalars(
            select(DepositCell).where(DepositCell.run_id == run.id, DepositCell.institution_id == inst.id))}
        lines, shown = [], set()
        for p in session.scalars(in_force_lines(region.id, on, inst.id)
                                 .order_by(PublishedDeposit.group_code, PublishedDeposit.insurance_class)):
            cls = InsuranceClass(p.insurance_class)
            shown.add((p.group_code, cls))
            c = cells.get((p.group_code, cls))
            basis = c is not None and not c.small and not c.proxy and c.reference > 0  # 推算 is no basis
            lines.append(TableLine(
                p.group_code, CLASS_CN[cls], p.amount, p.effective_on, p.prior_standard, p.basis,
                c.cases if c else None, c.reference if c else None, bool(c and c.small), bool(c and c.proxy),
                (p.amount / c.reference).quantize(Decimal("0.01")) if basis and c else None,
                bool(basis and c and p.amount > to_cents(c.reference * (1 + profile.tolerance)))))
        unpublished = sorted((c for key, c in cells.items() if key not in shown and not c.proxy),
                             key=lambda c: (-c.cases, c.group_code, c.insurance_class))[:15]
        rows = session.execute(select(DepositFinding).where(DepositFinding.institution_id == inst.id)
                               .order_by(DepositFinding.status.not_in(OPEN), DepositFinding.id.desc()).limit(200)).scalars()
        found = tuple(_finding(f, inst.code, inst.name) for f in rows)
        notices = tuple(NoticeLine(d.id, d.kind, d.file_name, d.generated_at,
                                   d.generated_by, d.superseded_by_id is not None)
                        for d in session.scalars(select(IssuedDocument).where(
                            IssuedDocument.institution_id == inst.id,
                            IssuedDocument.kind.in_(FINDING_NOTICES)).order_by(IssuedDocument.id.desc())))
        open_ = [f for f in found if f.status in OPEN]
        shares = () if run is None else tuple(g for g in common_groups(
            last_year_groups(session, run.id, {inst.id}).get(inst.id, ()), profile.common_share) if g.common)
        published = {group for group, _ in shown}
        common = tuple(CommonLine(g.group, g.cost, g.admissions, g.cumulative_cost_share, g.cumulative_admission_share,
                                  g.common_by_cost, g.common_by_admissions, g.group in published) for g in shares)
        return Hospital(inst.code, inst.name, year, on, _run(run) if run else None, tuple(lines),
                        tuple(_cell(c, inst.code, inst.name) for c in unpublished), found, notices,
                        sum(f.kind in {k.value for k in RECTIFY} for f in open_),
                        sum(f.kind in {k.value for k in RECOMPUTE} for f in open_),
                        tuple(BillingLine(inst.code, inst.name, b.month, b.settlements, b.within)
                              for b in session.scalars(select(DepositBilling).where(
                                  DepositBilling.institution_id == inst.id).order_by(DepositBilling.month.desc())
                                  .limit(12))), profile.published_min_cases, common, profile.common_share,
                        common_missing(shares, published)[0] if lines else ())


FINDING_NOTICES = ("deposit_rectification", "deposit_recompute")  # the kinds that carry findings


def hospitals_to_notify(sessions: sessionmaker, region_code: str, year: int, kinds: tuple[FindingKind, ...],
                        only_new: bool = True) -> tuple[str, ...]:
    """The codes of the hospitals with findings of ``kinds`` against the year's reference not yet notified
    (``only_new``) or still open: whom a round of notices is for."""
    with sessions() as session:
        region = find_region(session, region_code)
        return tuple(session.scalars(
            select(Institution.code).join(DepositFinding, DepositFinding.institution_id == Institution.id)
            .join(DepositRun, DepositRun.id == DepositFinding.run_id)
            .where(DepositFinding.region_id == region.id, DepositRun.year == year,
                   DepositFinding.kind.in_([k.value for k in kinds]),
                   DepositFinding.status == "new" if only_new else DepositFinding.status.in_(OPEN))
            .group_by(Institution.code).order_by(Institution.code)).all())


# -- item 8: the institution page's deposit standing beside the advance it holds ----------------------------

@dataclass(frozen=True)
class DepositStanding:
    year: int  # of the reference compared against
    lines: int  # published lines in force with a reference to compare
    compliant: int
    open_breaches: int  # red
    open_signals: int
    oldest_breach: dt.date | None  # found on
    census: Decimal | None  # average insured inpatients at once, last year
    float_released: Decimal | None  # census × the fall of the admission-weighted deposit

    @property
    def compliance(self) -> Decimal | None:
        return (Decimal(self.compliant) / self.lines).quantize(Decimal("0.0001")) if self.lines else None


def census(session, region_id: int, institution_id: int, year: int) -> Decimal | None:
    """The hospital's average insured census of ``year``: its local admissions' days (a visit's settlements
    netted, from its first admission to its last discharge) over the year's days."""
    visits = (select(days_between(func.max(Discharge.discharged_on), func.min(Discharge.admitted_on)).label("days"))
              .where(Discharge.region_id == region_id, Discharge.institution_id == institution_id,
                     Discharge.discharged_on >= dt.date(year - 1, 1, 1))
              .group_by(Discharge.visit_key)
              .having(func.max(Discharge.discharged_on).between(dt.date(year, 1, 1), dt.date(year, 12, 31)),
                      func.sum(Discharge.total) > Decimal("0.00"),
                      func.max(case((Discharge.out_of_region, 1), else_=0)) == 0)
              .subquery())
    days = session.scalar(select(func.sum(visits.c.days)))
    if not days:
        return None
    return (Decimal(days) / (366 if year % 4 == 0 else 365)).quantize(Decimal("0.1"))


def standing_in(session, region, inst: Institution, on: dt.date) -> DepositStanding | None:
    """The deposit standing of ``inst`` on ``on`` against the region's latest reference up to that year."""
    run = session.scalar(select(DepositRun).where(DepositRun.region_id == region.id, DepositRun.year <= on.year,
                                                  DepositRun.superseded_by.is_(None))
                         .order_by(DepositRun.year.desc()).limit(1))
    if run is None:
        return None
    profile = load_deposit_profile(region.deposit_profile)
    cells = {(c.group_code, c.insurance_class): c for c in session.scalars(
        select(DepositCell).where(DepositCell.run_id == run.id, DepositCell.institution_id == inst.id))}
    lines = compliant = 0
    weights = []
    for p in session.scalars(in_force_lines(region.id, on, inst.id)):
        c = cells.get((p.group_code, p.insurance_class))
        if c is not None and not c.small and not c.proxy and c.reference > 0:
            lines += 1
            compliant += p.amount <= to_cents(c.reference * (1 + profile.tolerance))
        if c is not None and p.prior_standard is not None and not c.proxy:
            weights.append((c.last_year_cases, p.prior_standard, p.amount))
    open_ = session.execute(select(DepositFinding.breach, func.count(), func.min(DepositFinding.found_on))
                            .where(DepositFinding.institution_id == inst.id, DepositFinding.status.in_(OPEN))
                            .group_by(DepositFinding.breach)).all()
    by = {breach: (n, first) for breach, n, first in open_}
    people = census(session, region.id, inst.id, run.year - 1)
    return DepositStanding(run.year, lines, compliant, by.get(True, (0, None))[0], by.get(False, (0, None))[0],
                           by.get(True, (0, None))[1], people,
                           float_released(people, weights) if people is not None else None)


# -- rule 8 (GZ 16): the grassroots table ------------------------------------------------------------

@dataclass(frozen=True)
class GrassrootsTableLine:
    id: int
    year: int
    run_id: int
    area: str  # county / prefecture
    state: str
    state_cn: str
    lines: int
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str | None


@dataclass(frozen=True)
class GrassrootsAmountLine:
    id: int
    area: str
    group_code: str
    class_cn: str
    institutions: int
    cases: int
    mean: Decimal
    amount: Decimal
    small: bool
    proxy: bool


@dataclass(frozen=True)
class GrassrootsPage:
    table: GrassrootsTableLine | None
    amounts: tuple[GrassrootsAmountLine, ...]
    next_after: int | None


def grassroots_page(sessions: sessionmaker, region_code: str, year: int, *, area: str | None = None,
                    group: str | None = None, after: int = 0, size: int = 100) -> GrassrootsPage:
    """The year's grassroots table in force (proposed, approved or returned) and its lines by keyset."""
    with sessions() as session:
        region = find_region(session, region_code)
        # the newest table not superseded (a proposal pending beside the approved one is shown first)
        t = session.scalar(select(GrassrootsTable).where(GrassrootsTable.region_id == region.id,
                                                         GrassrootsTable.year == year,
                                                         GrassrootsTable.state != GrassrootsState.SUPERSEDED)
                           .order_by(GrassrootsTable.id.desc()).limit(1))
        if t is None:
            return GrassrootsPage(None, (), None)
        where = [GrassrootsAmount.table_id == t.id, GrassrootsAmount.id > after]
        if area:
            where.append(GrassrootsAmount.area == area)
        if group:
            where.append(GrassrootsAmount.group_code == group)
        rows = session.scalars(select(GrassrootsAmount).where(*where).order_by(GrassrootsAmount.id)
                               .limit(size + 1)).all()
        amounts = tuple(GrassrootsAmountLine(a.id, a.area, a.group_code, CLASS_CN[InsuranceClass(a.insurance_class)],
                                             a.institutions, a.cases, a.mean, a.amount, a.small, a.proxy)
                        for a in rows[:size])
        return GrassrootsPage(GrassrootsTableLine(t.id, t.year, t.run_id, t.area, t.state, GRASSROOTS.label(t.state),
                                                  t.lines, t.proposed_by, t.proposed_at, t.decided_by, t.decided_at,
                                                  t.decision_note),
                              amounts, amounts[-1].id if len(rows) > size else None)
