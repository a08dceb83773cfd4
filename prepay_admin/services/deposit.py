"""DEPOSIT.md rule 1 (GZ 12, JL 14, XJ 22): the reference run of a region's year — per hospital × disease
group × insurance class, the mean personal burden per admission over the window, from the inpatient
settlements the bureau holds.

An admission is a visit's settlements summed (refunds and re-settlements netted; one wholly refunded is
no admission), in the window by its last discharge date; 异地 patients are counted apart, never in the
local mean. The 自费 class is not in the bureau's data: its cell is a proxy, the insured admissions' mean
cost of the same hospital and group, labelled 推算. A run is frozen: the SHA-256 of what every cell's
figures were computed from (its admissions' count and totals, their measures and costs sorted) and the
profile version are kept with it, and a recomputation supersedes it, never overwrites. The database nets
the visits and sums each cell (one aggregate, as its bare GROUP BY would); the cells are read in one ordered
pass and written in batches: memory holds one hospital × group at a time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from array import array
from dataclasses import dataclass
from decimal import Decimal
from heapq import merge
from itertools import groupby
from operator import add, itemgetter
from typing import Iterator

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    MetaData,
    Table,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, aliased, sessionmaker

from ..clock import TIMEZONE as BEIJING
from ..db import UtcDateTime, bulk_insert, driver_rows, int_list, ints, money_sum, stored_fen, year_month
from ..models import (
    Department,
    DepositBilling,
    DepositCell,
    DepositComplaint,
    DepositFinding,
    DepositGroup,
    DepositRun,
    DepositStanding,
    Discharge,
    Institution,
    PaymentStandard,
    PublishedDeposit,
    Region,
)
from ..policy.deposit import (
    ALL_GROUPS,
    FINDING,
    FINDING_PARAMETER,
    OPEN,
    TRIGGERS,
    CellFigures,
    CellTotals,
    DepositProfile,
    Finding,
    FindingKind,
    InsuranceClass,
    Measure,
    MonthActual,
    PeerLine,
    Published,
    StandardChange,
    cell_of_totals,
    check_complaints,
    check_table,
    check_triggers,
    check_update,
    common_groups,
    mean_fen,
    peer_outliers,
    standard_moved,
    to_cents,
    updated_since,
)
from ..policy.workdays import add_days, add_working_days
from ..profiles.deposit import load_deposit_profile
from ..validation import visible_text
from .calendar import workday_lookup
from .errors import NotFound, ServiceError
from .unit_of_work import find_region, staff_step

WRITE_BATCH = 5_000


@dataclass(frozen=True)
class RunDone:
    run_id: int
    year: int
    window: tuple[dt.date, dt.date]
    profile: str
    admissions: int
    out_of_region: int
    cells: int
    small: int
    inputs_sha256: str
    superseded: int | None  # the run it replaced


def current_run(session: Session, region_id: int, year: int) -> DepositRun | None:
    """The region's run of the year that no recomputation has superseded."""
    return session.scalar(select(DepositRun).where(DepositRun.region_id == region_id, DepositRun.year == year,
                                                   DepositRun.superseded_by.is_(None)))


def window_of(profile: DepositProfile, year: int) -> tuple[dt.date, dt.date]:
    """Rule 1: the complete calendar years before the reference year."""
    return dt.date(year - profile.window_years, 1, 1), dt.date(year - 1, 12, 31)


def compute_reference(sessions: sessionmaker, region_code: str, year: int, user: str) -> RunDone:
    """Compute (or recompute) the region's reference for ``year`` (基金结算部门, who hold the settlements)."""
    if not 2000 <= year <= 2100:
        raise ServiceError("年度须在 2000—2100 之间", "year")
    with staff_step(sessions, user, Department.FUND_SETTLEMENT) as step:
        region = find_region(step.session, region_code)
        step.enter(region)
        step.lock_region()  # one run at a time: the second would supersede the first half-written
        profile = load_deposit_profile(region.deposit_profile)
        start, end = window_of(profile, year)
        session = step.session
        run = DepositRun(region_id=region.id, year=year, window_from=start, window_to=end, profile_name=profile.name,
                         profile_version=profile.version, measure=profile.measure.value, inputs_sha256="",
                         settlements=0, admissions=0, out_of_region=0, cells=0, computed_by=user)
        session.add(run)
        session.flush()
        digest = hashlib.sha256(f"v3/{profile.name}/{profile.version}/{start}/{end}".encode())
        tally = {"admissions": 0, "out_of_region": 0, "cells": 0, "small": 0}
        batch: list[tuple] = []
        groups: list[tuple] = []
        for (institution_id, group), sums in groupby(_cell_sums(session, region.id, start, end, year, profile.measure),
                                                     key=itemgetter(0, 1)):
            sums = list(sums)
            batch += _cells(run.id, institution_id, group, sums, profile, tally, digest)
            admitted = sum(row[LAST_YEAR_ALL] for row in sums)
            if admitted:  # rule 3's base: every admission of the window's last year, 异地 included
                groups.append((run.id, institution_id, group, admitted,
                               sum(int(row[LAST_YEAR_ALL + 1] or 0) for row in sums)))
            if len(batch) >= WRITE_BATCH:
                bulk_insert(session.connection(), DepositCell.__table__, CELL_COLUMNS, batch)
                bulk_insert(session.connection(), DepositGroup.__table__, GROUP_COLUMNS, groups)
                batch, groups = [], []
        bulk_insert(session.connection(), DepositCell.__table__, CELL_COLUMNS, batch)
        bulk_insert(session.connection(), DepositGroup.__table__, GROUP_COLUMNS, groups)
        run.settlements = session.scalar(select(func.count()).select_from(Discharge).where(
            Discharge.region_id == region.id, Discharge.discharged_on.between(start, end))) or 0
        if not run.settlements:
            raise ServiceError(f"数据期间 {start} 至 {end} 内没有住院结算数据：请先在“数据导入”导入住院结算明细", "year")
        run.admissions, run.out_of_region, run.cells = tally["admissions"], tally["out_of_region"], tally["cells"]
        run.inputs_sha256 = digest.hexdigest()
        previous = session.scalar(select(DepositRun.id).where(
            DepositRun.region_id == region.id, DepositRun.year == year, DepositRun.id != run.id,
            DepositRun.superseded_by.is_(None)))
        if previous is not None:
            session.execute(update(DepositRun).where(DepositRun.id == previous).values(superseded_by=run.id))
        return RunDone(run.id, year, (start, end), f"{profile.name} 第 {profile.version} 版", run.admissions,
                       run.out_of_region, run.cells, tally["small"], run.inputs_sha256, previous)


def _visits(region_id: int, since: dt.date):
    """Every visit (就诊) of the region with rows discharged from ``since`` on: its settlements summed whatever
    their dates (a mid-stay settlement before, a refund after), its last discharge, its group, class and 异地
    (each the visit's: one admission is one group), as a subquery."""
    return (select(Discharge.institution_id.label("institution_id"), func.max(Discharge.group_code).label("group_code"),
                   func.max(Discharge.insurance_class).label("insurance_class"),
                   func.max(case((Discharge.out_of_region, 1), else_=0)).label("out_of_region"),
                   Discharge.visit_key.label("visit_key"), func.max(Discharge.discharged_on).label("discharged_on"),
                   func.sum(Discharge.total).label("total"), func.sum(Discharge.fund_paid).label("fund_paid"),
                   func.sum(Discharge.copay).label("copay"), func.sum(Discharge.self_pay).label("self_pay"),
                   func.sum(Discharge.cash_paid).label("cash_paid"))
            .where(Discharge.region_id == region_id, Discharge.discharged_on >= since)
            .group_by(Discharge.institution_id, Discharge.visit_key).subquery())


def _measured(v, measure: Measure):
    """An admission's measure (DEPOSIT.md rule 1, the profile's) from its summed amounts, in fen."""
    if measure == Measure.BURDEN:
        return v.c.copay + v.c.self_pay  # 个人负担总金额 = 个人自付 + 个人自费 (as ``StayColumns.measured``)
    return v.c.copay if measure == Measure.COPAY else v.c.cash_paid


def _cell_sums(session, region_id: int, start: dt.date, end: dt.date, year: int, measure: Measure) -> Iterator[tuple]:
    """Every cell of the window, summed in the database: the admissions — visits whose last discharge falls in
    it, their settlements netted (a mid-stay settlement the year before included; one still open at the window's
    end left for the next; one wholly refunded is none) — grouped by hospital, group and class, ordered so:
    (institution, group, class, local admissions, 异地 ones, the local ones' cost, fund, copay, self-pay and cash
    totals, their measures and costs each as an ``int_list``, last year's local admissions, their measure and
    cost totals, last year's admissions with 异地 ones and their cost), in integer fen as stored. A cell's
    figures are ``cell_of_totals``'s; only its measures and costs cross one by one (for the median and P75),
    as one value per cell: 4.5 million admissions are read as 120,000 rows."""
    v = _visits(region_id, start - dt.timedelta(days=366))
    local = v.c.out_of_region == 0
    last_all = v.c.discharged_on >= dt.date(year - 1, 1, 1)
    last = and_(local, last_all)
    fen_ = [cast(c, BigInteger) for c in (v.c.total, v.c.fund_paid, v.c.copay, v.c.self_pay, v.c.cash_paid)]  # a sum
    measured = cast(_measured(v, measure), BigInteger)
    query = (select(v.c.institution_id, v.c.group_code, v.c.insurance_class,
                    func.count().filter(local), func.count().filter(v.c.out_of_region == 1),
                    *(func.sum(c).filter(local) for c in fen_), int_list(measured).filter(local),
                    int_list(fen_[0]).filter(local), func.count().filter(last), func.sum(measured).filter(last),
                    func.sum(fen_[0]).filter(last), func.count().filter(last_all), func.sum(fen_[0]).filter(last_all))
             .where(v.c.discharged_on.between(start, end), stored_fen(v.c.total) > 0)
             .group_by(v.c.institution_id, v.c.group_code, v.c.insurance_class)
             .order_by(v.c.institution_id, v.c.group_code, v.c.insurance_class))
    # a cell's lists hold up to thousands each; on PostgreSQL summed by the parallel workers (see driver_rows)
    yield from driver_rows(session.connection(), query, batch=1_000, ordered_by=3)


def _cells(run_id: int, institution_id: int, group: str, sums: list[tuple], profile: DepositProfile,
           tally: dict[str, int], digest) -> list[tuple]:
    """A hospital × group's cells from ``_cell_sums``' rows: one per insured class with local admissions, and
    the 自费 proxy; each cell's totals and sorted measures and costs (all its figures are computed from) are
    added to ``digest``, the run's inputs, so that the same admissions hash the same in whatever order read."""
    cells = []
    insured, insured_last, insured_costs = CellTotals(0, 0, 0, 0, 0, 0), [0, 0], []
    for _, _, cls, n, away, cost, fund, copay, self_pay, cash, measured, costs, n_last, measured_last, cost_last, \
            n_year, cost_year in sums:
        totals = CellTotals(n, *(int(a or 0) for a in (cost, fund, copay, self_pay, cash)))
        measured, costs = sorted(ints(measured)), sorted(ints(costs))
        last = (n_last, int(measured_last or 0), int(cost_last or 0))
        year_ = (n_year, int(cost_year or 0))  # rule 3's base (``DepositGroup``)
        digest.update(f"{institution_id}|{group}|{cls}|{away}|{'|'.join(map(str, (*totals, *last, *year_)))}\n"
                      .encode())
        digest.update(array("q", measured).tobytes() + array("q", costs).tobytes())
        tally["out_of_region"] += away
        if not n:
            continue
        insured = CellTotals(*map(add, insured, totals))
        insured_last = [insured_last[0] + n_last, insured_last[1] + last[2]]
        insured_costs.append(costs)
        tally["admissions"] += n
        cells.append(_row(run_id, institution_id, group, cls, totals, measured, last[:2], profile.min_cases, away,
                          False, tally))
    if insured.cases:  # 自费: not in the bureau's data; the insured mean cost of the same hospital and group (推算)
        paid_whole = CellTotals(insured.cases, insured.cost, 0, 0, insured.cost, insured.cost)  # the whole cost, 自费
        cells.append(_row(run_id, institution_id, group, InsuranceClass.SELF_PAY.value, paid_whole,
                          list(merge(*insured_costs)), tuple(insured_last), profile.min_cases, 0, True, tally))
    return cells


LAST_YEAR_ALL = 15  # in ``_cell_sums``' rows: last year's admissions, 异地 included (their cost next)
GROUP_COLUMNS = ("run_id", "institution_id", "group_code", "admissions", "cost")
CELL_COLUMNS = ("run_id", "institution_id", "group_code", "insurance_class", "cases", "mean_cost", "mean_fund",
                "mean_copay", "mean_self_pay", "mean_cash", "reference", "median", "p75", "small", "last_year_cases",
                "last_year_reference", "proxy", "out_of_region_cases")


def _row(run_id: int, institution_id: int, group: str, cls: str, totals: CellTotals, measured: list[int],
         last: tuple[int, int], min_cases: int, away: int, proxy: bool, tally: dict[str, int]) -> tuple:
    """A cell as the database stores it (``CELL_COLUMNS``: fen, the class's value) for ``bulk_insert``; ``last``
    is last year's admissions and their measure's total."""
    figures = cell_of_totals(totals, measured, min_cases)
    tally["cells"] += 1
    tally["small"] += figures.small
    return (run_id, institution_id, group, cls, *figures, last[0], mean_fen(last[1], last[0]) if last[0] else None,
            proxy, away)


@dataclass(frozen=True)
class CheckDone:
    run_id: int
    on: dt.date
    hospitals: int  # with a published table in force
    found: int  # findings now open
    new: int
    rectified: int  # open before, not found now


def check_tables(sessions: sessionmaker, region_code: str, year: int, on: dt.date, user: str) -> CheckDone:
    """Rules 1, 3, 4, 5, 6 (and rule 7's billing) over every published table in force on ``on``, against the
    year's current reference and last year's common groups. A finding of the year open before and found again
    is the same finding (last seen today); one no longer found is 已整改 where the hospital changed its table
    since, else 不再成立; a recompute trigger closes only by a recomputation, and one overdue under a text that
    obliges it (XJ 24) becomes a breach. Nothing is refused automatically."""
    with staff_step(sessions, user, Department.FUND_SETTLEMENT) as step:
        region = find_region(step.session, region_code)
        step.enter(region)
        step.lock_region()
        session = step.session
        run = current_run(session, region.id, year)
        if run is None:
            raise ServiceError(f"尚未测算 {year} 年度的参考额度：请先测算，再检查公示额度", "year")
        profile = load_deposit_profile(region.deposit_profile)
        published = _in_force(session, region.id, on)
        cells = _cells_of(session, run.id, set(published))
        common = last_year_groups(session, run.id, set(published))
        found: dict[tuple, Finding] = {}
        for institution_id, lines in published.items():
            for f in check_table(lines, cells.get(institution_id, {}), common_groups(
                    common.get(institution_id, ()), profile.common_share), profile):
                found[(institution_id, f.kind.value, f.group, f.insurance_class.value if f.insurance_class else None)] = f
        # rule 5 (XJ 24): what obliges a hospital to recompute, found before it notices
        changes = _standard_changes(session, region.id, year, profile)
        having = _groups_with_cases(session, run.id, {(c.group, c.insurance_class) for c in changes})
        complaints = _complaints(session, region.id, on)
        actual = _monthly_actuals(session, region.id, on, profile, set(published))
        admitted = _monthly_admissions(session, region.id, on, set(complaints))
        for institution_id in sorted(set(published) | set(having) | set(complaints)):
            lines = published.get(institution_id, ())
            for f in (*check_triggers(lines, actual.get(institution_id, {}), changes, having.get(institution_id, ()),
                                      profile),
                      *check_complaints(complaints.get(institution_id, ()), admitted.get(institution_id, {}), profile,
                                        min((p.effective_on for p in lines), default=None))):
                found[(institution_id, f.kind.value, f.group, f.insurance_class.value if f.insurance_class else None)] = f
        # XJ 24: the yearly update, owed within the profile's days of the hospital's first reference of the year
        is_workday = workday_lookup(session, region.code)
        for institution_id, reference_on in reference_days(session, region.id, year, set(published)).items():
            f = check_update(published[institution_id], year, reference_on, on, profile, is_workday)
            if f is not None:
                found[(institution_id, f.kind.value, f.group, None)] = f
        # rule 6 (GZ 13, JL 14, XJ 27): far above the peers of the same level and type in the region
        for institution_id, fs in peer_outliers(_peer_lines(session, region, published), profile).items():
            for f in fs:
                found[(institution_id, f.kind.value, f.group, f.insurance_class.value if f.insurance_class else None)] = f
        billing_months(session, region, on, profile)
        _keep_standing(session, region.id, run.id, on, profile)
        # the year's findings only: a check of another year's reference leaves them as they are
        of_year = select(DepositRun.id).where(DepositRun.region_id == region.id, DepositRun.year == year)
        open_ = {(r.institution_id, r.kind, r.group_code, r.insurance_class): r for r in session.scalars(
            select(DepositFinding).where(DepositFinding.region_id == region.id, DepositFinding.status.in_(OPEN),
                                         DepositFinding.run_id.in_(of_year)).with_for_update())}
        # a finding 基金结算 cleared stays cleared while what it rested on is unchanged: the same run and amount
        # (a recompute trigger: the same event, which its message names — the months, the standard, the month)
        # (the yearly update: the same year's, whatever run corrected the reference since)
        cleared = {_identity(r.institution_id, r.kind, r.group_code, r.insurance_class, r.run_id, y, r.published,
                             r.message)
                   for r, y in session.execute(select(DepositFinding, DepositRun.year).join(
                       DepositRun, DepositRun.id == DepositFinding.run_id).where(
                       DepositFinding.region_id == region.id, DepositFinding.status == "cleared"))}
        new = rectified = 0
        for key, f in found.items():
            row = open_.get(key)
            if row is None and _identity(*key, run.id, year, f.published, f.message[:300]) in cleared:
                continue
            values = dict(run_id=run.id, breach=f.breach, article=profile.article(FINDING_PARAMETER[f.kind]),
                          published=f.published, reference=f.reference, message=f.message[:300], last_seen_on=on)
            if row is None:
                due = (add_days(on, profile.recompute_days, is_workday).date  # a holiday's last day moves on
                       if f.kind in TRIGGERS and profile.recompute_obliged else None)
                session.add(DepositFinding(region_id=region.id, institution_id=key[0], kind=key[1], group_code=key[2],
                                           insurance_class=key[3], status="new", found_on=on, due_on=due, **values))
                new += 1
            elif on < row.last_seen_on:
                continue  # a check of an earlier day never rewrites what a later one saw
            else:
                if row.due_on is not None and row.status == "new":  # no notice has stated it yet: on the calendar
                    row.due_on = add_days(row.found_on, profile.recompute_days, is_workday).date  # as it stands now
                if row.due_on is not None and on > row.due_on:  # XJ 24: not recomputed within the days: a breach
                    values["breach"] = True
                for name, value in values.items():
                    setattr(row, name, value)
        for key, row in open_.items():
            if key in found or on < row.last_seen_on:
                continue  # found again; or a check of an earlier day, which closes nothing a later one saw
            if key[0] not in published and FindingKind(key[1]) not in TRIGGERS:
                continue  # the hospital has no table in force that day: nothing to judge
            lines = published.get(key[0], ())
            since = dt.date(year, 1, 1) if key[1] == FindingKind.NOT_UPDATED.value else row.found_on
            changed = _republished(lines, key[2], key[3], since, row.published, FindingKind(key[1]))
            if FindingKind(key[1]) in TRIGGERS and not changed:
                if row.due_on is not None and on > row.due_on:  # still owed, and overdue: a breach (XJ 24)
                    row.breach = True
                continue  # closed by the hospital's recomputation only, never by time
            action = "rectify" if changed else "lapse"  # 不再成立: gone though the hospital changed nothing
            late = f"（逾期，期限 {row.due_on}）" if row.due_on is not None and on > row.due_on and changed else ""
            step.record(FINDING, row.id, action, row.status, FINDING.next(row.status, action), f"{on} 检查{late}")
            row.status, row.last_seen_on = FINDING.next(row.status, action), on
            rectified += changed
        return CheckDone(run.id, on, len(published), len(found), new, rectified)


def _identity(institution_id, kind, group, cls, run_id, year, published, message) -> tuple:
    """What a cleared finding rested on: for a recompute trigger its event (its message), for the yearly update
    its year, else its run and amount."""
    if kind == FindingKind.NOT_UPDATED.value:
        return (institution_id, kind, year)
    return (institution_id, kind, group, cls, run_id, published, message if FindingKind(kind) in TRIGGERS else None)


RATIO_BINS = (Decimal("0.5"), Decimal("0.8"), Decimal("1.0"), Decimal("1.2"), Decimal("1.5"))  # deposit ÷ reference


@dataclass(frozen=True)
class Standing:
    """How the published deposits in force on ``on`` stood against a run: see ``DepositStanding``."""

    on: dt.date
    hospitals: int  # with local admissions in the run
    publishing: int  # of them, with a table in force
    lines: int  # lines in force with a reference to compare (not 样本不足, not 推算)
    compliant: int  # of them, not above the reference (with the profile's tolerance)
    bins: tuple[int, ...]  # deposit ÷ reference, as ``RATIO_BINS`` cut them
    silent: tuple[tuple[str, str, int], ...]  # the hospitals with the most cases and no table: code, name, cases


def standing(session, region_id: int, run_id: int, on: dt.date, profile: DepositProfile) -> Standing:
    """Rules 1, 3 over the region: the lines in force on ``on`` against the run, in one aggregate in the
    database (a prefecture's 60,000 lines never cross into Python), in integer fen; the check computes it
    and keeps it (``DepositStanding``), the screens read what it kept."""
    hospitals = session.scalar(select(func.count(func.distinct(DepositCell.institution_id)))
                               .where(DepositCell.run_id == run_id)) or 0
    in_force = in_force_lines(region_id, on).subquery()
    # a hospital has a table in force once any line of it took effect (a line is replaced, never withdrawn)
    tabled = select(PublishedDeposit.institution_id).where(PublishedDeposit.region_id == region_id,
                                                           PublishedDeposit.effective_on <= on)
    publishing = session.scalar(select(func.count(func.distinct(DepositCell.institution_id))).where(
        DepositCell.run_id == run_id, DepositCell.institution_id.in_(tabled))) or 0  # of ``hospitals``
    # within the reference ⇔ amount ≤ reference × (1 + tolerance) rounded half up to the fen (to_cents)
    amount, reference = stored_fen(in_force.c.amount), stored_fen(DepositCell.reference)
    scale = int(profile.tolerance * 10000) + 10000
    above = [func.coalesce(func.sum(case((amount * 100 > reference * int(edge * 100), 1), else_=0)), 0)
             for edge in RATIO_BINS]
    lines, compliant, *over = session.execute(
        select(func.count(), func.coalesce(func.sum(case((amount * 10000 <= reference * scale + 5000, 1),
                                                          else_=0)), 0), *above)
        .select_from(in_force).join(DepositCell, and_(
            DepositCell.run_id == run_id, DepositCell.institution_id == in_force.c.institution_id,
            DepositCell.group_code == in_force.c.group_code,
            DepositCell.insurance_class == in_force.c.insurance_class))
        .where(DepositCell.small.is_(False), DepositCell.proxy.is_(False), stored_fen(DepositCell.reference) > 0)).one()
    lines, compliant, over = int(lines), int(compliant), [int(n) for n in over]
    cases = func.sum(DepositCell.cases)
    silent = tuple((code, name, int(n)) for code, name, n in session.execute(
        select(Institution.code, Institution.name, cases).join(DepositCell, DepositCell.institution_id == Institution.id)
        .where(DepositCell.run_id == run_id, DepositCell.proxy.is_(False), DepositCell.institution_id.not_in(tabled))
        .group_by(Institution.code, Institution.name).order_by(cases.desc(), Institution.code).limit(10)))
    return Standing(on, hospitals, publishing, lines, compliant,
                    (lines - over[0], *(over[i] - over[i + 1] for i in range(len(over) - 1)), over[-1]), silent)


def standing_on(session, run: DepositRun, on: dt.date, kept_ok: bool = True) -> Standing:
    """The standing the latest check of ``run`` up to ``on`` kept (its day is the standing's ``on``), or, before
    any (or where a document states it as of ``on``: ``kept_ok`` false), computed now for ``on``."""
    kept = session.scalar(select(DepositStanding).where(DepositStanding.run_id == run.id,
                                                        DepositStanding.checked_on <= on)
                          .order_by(DepositStanding.checked_on.desc()).limit(1)) if kept_ok else None
    if kept is not None:
        return Standing(kept.checked_on, kept.hospitals, kept.publishing, kept.lines, kept.compliant,
                        tuple(kept.bins), tuple((c, n, k) for c, n, k in kept.silent))
    region = session.get(Region, run.region_id)
    return standing(session, run.region_id, run.id, on, load_deposit_profile(region.deposit_profile))


def _keep_standing(session, region_id: int, run_id: int, on: dt.date, profile: DepositProfile) -> None:
    s = standing(session, region_id, run_id, on, profile)
    session.execute(delete(DepositStanding).where(DepositStanding.run_id == run_id, DepositStanding.checked_on == on))
    session.add(DepositStanding(region_id=region_id, run_id=run_id, checked_on=on, hospitals=s.hospitals,
                                publishing=s.publishing, lines=s.lines, compliant=s.compliant, bins=list(s.bins),
                                silent=[list(x) for x in s.silent]))


def reference_days(session, region_id: int, year: int, institutions: set[int]) -> dict[int, dt.date]:
    """Per hospital of ``institutions``, the day (Beijing) a run of the year first gave it reference cells: the
    yearly update (XJ 24) runs from it; a recomputation correcting it later does not restart the days, and a
    hospital whose settlements came later runs from the run that first had them."""
    first = func.min(DepositRun.computed_at)
    return {institution_id: when.astimezone(BEIJING).date() for institution_id, when in session.execute(
        select(DepositCell.institution_id, type_coerce(first, UtcDateTime()))
        .join(DepositRun, DepositRun.id == DepositCell.run_id)
        .where(DepositRun.region_id == region_id, DepositRun.year == year, DepositCell.proxy.is_(False))
        .group_by(DepositCell.institution_id)) if institution_id in institutions}


def in_force_lines(region_id: int, on: dt.date, institution_id: int | None = None):
    """The published lines in force on ``on`` (rules 1—6 judge them; the screens show them): per hospital,
    group and class the latest effective by then — a line no later line of its key replaced by then (an
    index seek per line on the key's unique index), as a query of ``PublishedDeposit`` rows."""
    later = aliased(PublishedDeposit)
    return select(PublishedDeposit).where(
        PublishedDeposit.region_id == region_id, PublishedDeposit.effective_on <= on,
        *([PublishedDeposit.institution_id == institution_id] if institution_id is not None else []),
        ~exists().where(later.institution_id == PublishedDeposit.institution_id,
                        later.group_code == PublishedDeposit.group_code,
                        later.insurance_class == PublishedDeposit.insurance_class,
                        later.effective_on > PublishedDeposit.effective_on, later.effective_on <= on))


def _in_force(session, region_id: int, on: dt.date) -> dict[int, list[Published]]:
    """Each hospital's published lines in force on ``on``, as the pure checks read them."""
    out: dict[int, list[Published]] = {}
    for p in session.scalars(in_force_lines(region_id, on).order_by(
            PublishedDeposit.institution_id, PublishedDeposit.group_code, PublishedDeposit.insurance_class)):
        out.setdefault(p.institution_id, []).append(
            Published(p.group_code, InsuranceClass(p.insurance_class), p.amount, p.effective_on, p.prior_standard))
    return out


def _cells_of(session, run_id: int, institutions: set[int]) -> dict[int, dict[tuple, CellFigures]]:
    """The run's cells of ``institutions`` as the pure checks read them (the columns alone, not the rows)."""
    out: dict[int, dict[tuple, CellFigures]] = {}
    classes = {c.value: c for c in InsuranceClass}
    c = DepositCell
    for row in session.execute(select(c.institution_id, c.group_code, c.insurance_class, c.cases, c.mean_cost,
                                      c.mean_fund, c.mean_copay, c.mean_self_pay, c.mean_cash, c.reference, c.median,
                                      c.p75, c.small, c.proxy).where(c.run_id == run_id)):
        if row[0] in institutions:
            out.setdefault(row[0], {})[(row[1], classes[row[2]])] = CellFigures(*row[3:])
    return out


def last_year_groups(session, run_id: int, institutions: set[int]) -> dict[int, list[tuple]]:
    """Rule 3: each hospital's groups of the run's window's last year with their inpatient cost and admissions
    (every admission, 异地 included, a visit counted in the year of its last discharge, its settlements netted),
    as the run kept them (``DepositGroup``)."""
    out: dict[int, list[tuple]] = {}
    for institution_id, group, cost, n in session.execute(
            select(DepositGroup.institution_id, DepositGroup.group_code, DepositGroup.cost, DepositGroup.admissions)
            .where(DepositGroup.run_id == run_id, DepositGroup.institution_id.in_(institutions))):
        out.setdefault(institution_id, []).append((group, cost, n))
    return out


def _standard_changes(session, region_id: int, year: int, profile: DepositProfile) -> list[StandardChange]:
    """Rule 5(c): each group × class whose payment standard of ``year`` moved by more than the profile's share
    from the year before's."""
    rows = session.execute(select(PaymentStandard.group_code, PaymentStandard.insurance_class, PaymentStandard.year,
                                  PaymentStandard.standard)
                           .where(PaymentStandard.region_id == region_id, PaymentStandard.year.in_((year - 1, year))))
    by_key: dict[tuple, dict[int, Decimal]] = {}
    for group, cls, y, standard in rows:
        by_key.setdefault((group, InsuranceClass(cls)), {})[y] = standard
    return [StandardChange(g, c, s[year - 1], s[year], dt.date(year, 1, 1)) for (g, c), s in sorted(by_key.items())
            if year - 1 in s and year in s and standard_moved(s[year - 1], s[year], profile)]


def _groups_with_cases(session, run_id: int, keys: set[tuple]) -> dict[int, set[tuple]]:
    """The hospitals with local admissions in the run of each (group, class) of ``keys``."""
    out: dict[int, set[tuple]] = {}
    if not keys:
        return out
    for institution_id, group, cls in session.execute(
            select(DepositCell.institution_id, DepositCell.group_code, DepositCell.insurance_class)
            .where(DepositCell.run_id == run_id, DepositCell.proxy.is_(False), DepositCell.cases > 0,
                   DepositCell.group_code.in_({g for g, _ in keys}))):
        if (group, InsuranceClass(cls)) in keys:
            out.setdefault(institution_id, set()).add((group, InsuranceClass(cls)))
    return out


MONTHS_WATCHED = 12  # rule 5(a): the months before the check read for a run below the deposit


def _monthly_actuals(session, region_id: int, on: dt.date, profile: DepositProfile,
                     institutions: set[int]) -> dict[int, dict[tuple, list[MonthActual]]]:
    """Rule 5(a): per hospital × group × class and whole month before ``on`` (the last ``MONTHS_WATCHED``), its
    local admissions by month of last discharge, settlements netted, and their mean of the profile's measure."""
    first, last = _watched(on)
    out: dict[int, dict[tuple, list[MonthActual]]] = {}
    if not institutions:
        return out
    v = _visits(region_id, first - dt.timedelta(days=366))
    measured = _measured(v, profile.measure)
    month = year_month(v.c.discharged_on)
    for institution_id, group, cls, ym, n, total in session.execute(
            select(v.c.institution_id, v.c.group_code, v.c.insurance_class, month, func.count(), money_sum(measured))
            .where(v.c.discharged_on.between(first, last), v.c.total > Decimal("0.00"), v.c.out_of_region == 0)
            .group_by(v.c.institution_id, v.c.group_code, v.c.insurance_class, month)):
        if institution_id not in institutions:
            continue
        year_, month_ = (int(part) for part in ym.split("-"))
        out.setdefault(institution_id, {}).setdefault((group, InsuranceClass(cls)), []).append(
            MonthActual(dt.date(year_, month_, 1), n, to_cents(total / n), total))
    return out


def _republished(lines, group: str, cls: str | None, since: dt.date, published, kind: FindingKind) -> bool:
    """Whether the hospital changed what a finding is about since it was found: a line of its group (and class)
    taking effect on or after that day — for a run below the deposit, a lower amount; for complaints about
    the whole table, every line of it republished. A trigger is met only so (a streak that ran out of the
    months watched, or a standard changed back, is still owed a recomputation)."""
    if group == ALL_GROUPS:
        return updated_since(lines, since)
    return any(p.group == group and (cls is None or p.insurance_class.value == cls) and p.effective_on >= since
               and (kind != FindingKind.BELOW_DEPOSIT or published is None or p.amount < published) for p in lines)


@dataclass(frozen=True)
class Cleared:
    finding_id: int
    institution_code: str
    kind: str


def clear_finding(sessions: sessionmaker, region_code: str, finding_id: int, note: str, user: str,
                  institution: str | None = None) -> Cleared:
    """已核销 (基金结算部门): an open finding withdrawn, with why (a reference cell distorted by a few extreme
    stays, a table the hospital proved was not in force …); recorded in the transition log. A later check
    does not raise it again while the run and the published amount it rested on are unchanged."""
    if not (note or "").strip():
        raise ServiceError("请说明核销的理由", "note")
    checked = visible_text(note, 180)
    if checked is None:
        raise ServiceError("理由须为 1—180 个可见字符（不能含控制字符或不可见字符）", "note")
    note = checked
    with staff_step(sessions, user, Department.FUND_SETTLEMENT) as step:
        region = find_region(step.session, region_code)
        step.enter(region)
        step.lock_region()  # after a check or a notice in flight: never a move from a state already left
        row = step.session.scalar(select(DepositFinding).where(DepositFinding.id == finding_id,
                                                               DepositFinding.region_id == region.id)
                                  .with_for_update())
        code = step.session.scalar(select(Institution.code).where(Institution.id == row.institution_id)) \
            if row is not None else None
        if row is None or (institution is not None and code != institution.strip().upper()):
            raise NotFound(f"没有问题记录 {finding_id}", "finding")  # another region's or hospital's: as if none
        if row.status not in OPEN:
            raise ServiceError(f"该问题{FINDING.label(row.status)}，不能核销", "finding")
        step.record(FINDING, row.id, "clear", row.status, FINDING.next(row.status, "clear"), note)
        row.status, row.cleared_note = "cleared", f"{note}（{user}）"[:200]
        return Cleared(row.id, code or "", row.kind)


def _complaints(session, region_id: int, on: dt.date) -> dict[int, list[tuple[dt.date, int]]]:
    """Rule 5(b): each hospital's verified complaints of the whole months watched before ``on``."""
    first, last = _watched(on)
    out: dict[int, list[tuple[dt.date, int]]] = {}
    for institution_id, month, verified in session.execute(
            select(DepositComplaint.institution_id, DepositComplaint.month, DepositComplaint.verified)
            .where(DepositComplaint.region_id == region_id, DepositComplaint.month.between(first, last))):
        out.setdefault(institution_id, []).append((month, verified))
    return out


def _peer_lines(session, region, published: dict[int, list[Published]]) -> list[PeerLine]:
    """Rule 6: the lines in force of the insured classes, each with its hospital's peer group (the region as
    its area, its level and type)."""
    kinds = {i: (region.code, str(level), str(kind)) for i, level, kind in session.execute(
        select(Institution.id, Institution.level, Institution.kind).where(Institution.region_id == region.id))}
    return [PeerLine(i, kinds[i], p.group, p.insurance_class, p.amount) for i, lines in published.items()
            for p in lines if p.insurance_class != InsuranceClass.SELF_PAY]


def _watched(on: dt.date, count: int = MONTHS_WATCHED) -> tuple[dt.date, dt.date]:
    """The first and last day of the ``count`` whole months before ``on`` (rule 5 watches 12; rule 7 bills 3)."""
    months = on.year * 12 + on.month - 1 - count
    return dt.date(months // 12, months % 12 + 1, 1), dt.date(on.year, on.month, 1) - dt.timedelta(days=1)


BILLING_MONTHS = 3  # rule 7: the whole months before a check it (re)computes (late settlements of the last arrive)


def billing_months(session, region, on: dt.date, profile: DepositProfile) -> int:
    """Rule 7 (GZ 19, JL 20): per hospital and whole month of the last ``BILLING_MONTHS`` before ``on``, its
    settlements (by discharge date, refunds left out) and those settled within the profile's working days
    of discharge on the region's holiday calendar — in one set-based pass: each discharge day's deadline as
    the instant it ends (Beijing), joined to the settlements. Replaces the months it computes."""
    first, last = _watched(on, BILLING_MONTHS)
    is_workday = workday_lookup(session, region.code)
    days = Table(f"billing_days_{uuid.uuid4().hex[:12]}", MetaData(), Column("day", Date),
                 Column("due_before", UtcDateTime()), prefixes=["TEMPORARY"])
    connection = session.connection()
    days.create(connection)
    try:
        rows = []
        day = first
        while day <= last:
            due = add_working_days(day, profile.billing_working_days, is_workday).date
            rows.append({"day": day, "due_before": dt.datetime.combine(due + dt.timedelta(days=1), dt.time(),
                                                                       tzinfo=BEIJING)})
            day += dt.timedelta(days=1)
        connection.execute(insert(days), rows)
        month = year_month(Discharge.discharged_on)
        found = connection.execute(
            select(Discharge.institution_id, month, func.count(),
                   func.sum(case((Discharge.settled_at < days.c.due_before, 1), else_=0)))
            .join(days, days.c.day == Discharge.discharged_on)
            .where(Discharge.region_id == region.id, Discharge.discharged_on.between(first, last),  # the index's range
                   Discharge.refund.is_(False), Discharge.original_key.is_(None))
            .group_by(Discharge.institution_id, month)).all()
    finally:
        days.drop(connection)
    session.execute(delete(DepositBilling).where(DepositBilling.region_id == region.id,
                                                 DepositBilling.month.between(first, last)))
    if found:
        session.execute(insert(DepositBilling), [
            dict(region_id=region.id, institution_id=i, month=dt.date(int(ym[:4]), int(ym[5:7]), 1), settlements=n,
                 within=int(w or 0), working_days=profile.billing_working_days) for i, ym, n, w in found])
    return len(found)


def _monthly_admissions(session, region_id: int, on: dt.date, institutions: set[int]) -> dict[int, dict[dt.date, int]]:
    """Rule 5(b)'s denominator: each hospital's admissions by month of last discharge in the months watched,
    every class and 异地 included (a visit netted; one wholly refunded is none)."""
    out: dict[int, dict[dt.date, int]] = {}
    if not institutions:
        return out
    first, last = _watched(on)
    v = _visits(region_id, first - dt.timedelta(days=366))
    month = year_month(v.c.discharged_on)
    for institution_id, ym, n in session.execute(
            select(v.c.institution_id, month, func.count())
            .where(v.c.discharged_on.between(first, last), v.c.total > Decimal("0.00"),
                   v.c.institution_id.in_(list(institutions)))
            .group_by(v.c.institution_id, month)):
        out.setdefault(institution_id, {})[dt.date(int(ym[:4]), int(ym[5:7]), 1)] = n
    return out
