"""DEPOSIT.md rule 8 (GZ 16): the uniform inpatient deposits of a region's grassroots institutions (those that
keep centralised accounts or cannot compute their own), per area × group × class, from the year's current
reference: proposed by 基金结算部门, approved or returned by 医保行政部门 (with the health commission), each
move in the transition log. A new proposal supersedes the table before, whatever its state; nothing is
overwritten."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from .. import clock
from ..models import Department, DepositCell, GrassrootsAmount, GrassrootsTable, Institution
from ..policy.deposit import InsuranceClass, area_of, grassroots_lines, is_grassroots
from ..policy.transitions import GRASSROOTS, GrassrootsState
from ..profiles.deposit import load_deposit_profile
from ..validation import visible_text
from .deposit import current_run
from .errors import NotFound, ServiceError
from .unit_of_work import find_region, staff_step


@dataclass(frozen=True)
class Proposed:
    table_id: int
    year: int
    lines: int
    institutions: int
    small: int
    superseded: int | None


def propose(sessions: sessionmaker, region_code: str, year: int, user: str) -> Proposed:
    """基金结算 proposes the year's grassroots table from the current reference run."""
    with staff_step(sessions, user, Department.FUND_SETTLEMENT) as step:
        region = find_region(step.session, region_code)
        step.enter(region)
        step.lock_region()
        session = step.session
        run = current_run(session, region.id, year)
        if run is None:
            raise ServiceError(f"尚未测算 {year} 年度的住院预交金参考额度：请先测算", "year")
        profile = load_deposit_profile(region.deposit_profile)
        grassroots = {i: area_of(code, profile.grassroots_area) for i, code, kind, level in session.execute(
            select(Institution.id, Institution.code, Institution.kind, Institution.level)
            .where(Institution.region_id == region.id)) if is_grassroots(kind, level)}
        rows = session.scalars(select(DepositCell).where(DepositCell.run_id == run.id,
                                                         DepositCell.institution_id.in_(list(grassroots)))).all()
        cells = [(grassroots[c.institution_id], c.group_code, InsuranceClass(c.insurance_class), c.cases, c.reference,
                  c.proxy) for c in rows]
        lines = grassroots_lines(cells, profile)
        if not lines:
            raise ServiceError(f"{year} 年度参考额度中没有基层医疗机构（社区卫生服务中心、一级及未定级医院）的住院病例", "year")
        # a pending or returned proposal is superseded now; the approved table stays in force until its
        # successor is approved (``decide``)
        before = session.scalar(select(GrassrootsTable).where(
            GrassrootsTable.region_id == region.id, GrassrootsTable.year == year,
            GrassrootsTable.state.in_((GrassrootsState.PROPOSED, GrassrootsState.RETURNED))).with_for_update())
        table = GrassrootsTable(region_id=region.id, year=year, run_id=run.id, area=profile.grassroots_area,
                                state=GrassrootsState.PROPOSED, lines=len(lines), proposed_by=user)
        session.add(table)
        session.flush()
        step.record(GRASSROOTS, table.id, "propose", None, GrassrootsState.PROPOSED, f"第 {run.id} 次测算")
        session.execute(insert(GrassrootsAmount), [
            dict(table_id=table.id, area=g.area, group_code=g.group, insurance_class=g.insurance_class,
                 institutions=g.institutions, cases=g.cases, mean=g.mean, amount=g.amount, small=g.small, proxy=g.proxy)
            for g in lines])
        if before is not None:
            step.record(GRASSROOTS, before.id, "supersede", before.state, GRASSROOTS.next(before.state, "supersede"),
                        f"由第 {table.id} 号取代")
            before.state = GrassrootsState.SUPERSEDED
        return Proposed(table.id, year, len(lines), len({c.institution_id for c in rows}), sum(g.small for g in lines),
                        before.id if before else None)


@dataclass(frozen=True)
class Decided:
    table_id: int
    state: str


def decide(sessions: sessionmaker, region_code: str, table_id: int, approve: bool, note: str, user: str,
           year: int | None = None) -> Decided:
    """医保行政 approves the proposed table, or returns it saying why; a table computed from a reference since
    recomputed is refused (approve the figures in force, not stale ones)."""
    note = (note or "").strip()
    if not approve and not note:
        raise ServiceError("退回须说明理由", "note")
    if note and visible_text(note, 500) is None:
        raise ServiceError("意见须为 1—500 个可见字符（不能含控制字符或不可见字符）", "note")
    with staff_step(sessions, user, Department.ADMINISTRATION) as step:
        region = find_region(step.session, region_code)
        step.enter(region)
        table = step.session.scalar(select(GrassrootsTable).where(GrassrootsTable.id == table_id,
                                                                  GrassrootsTable.region_id == region.id)
                                    .with_for_update())
        if table is None or (year is not None and table.year != year):
            raise NotFound(f"没有基层统一额度表 {table_id}", "table")
        if approve and (current := current_run(step.session, region.id, table.year)) is not None \
                and current.id != table.run_id:
            raise ServiceError(f"该表依据第 {table.run_id} 次测算，参考额度已重新测算（第 {current.id} 次）：请退回，"
                               f"由基金结算部门按新的测算重新提交", "table")
        action = "approve" if approve else "return"
        if (table.state, action) not in GRASSROOTS.table:
            raise ServiceError(f"该表{GRASSROOTS.label(table.state)}，不能{GRASSROOTS.label(action)}", "table")
        step.record(GRASSROOTS, table.id, action, table.state, GRASSROOTS.next(table.state, action), note)
        table.state = GRASSROOTS.next(table.state, action)
        if approve:  # the table approved before gives way to this one
            for old in step.session.scalars(select(GrassrootsTable).where(
                    GrassrootsTable.region_id == region.id, GrassrootsTable.year == table.year,
                    GrassrootsTable.id != table.id, GrassrootsTable.state == GrassrootsState.APPROVED)):
                step.record(GRASSROOTS, old.id, "supersede", old.state, GRASSROOTS.next(old.state, "supersede"),
                            f"由第 {table.id} 号取代")
                old.state = GrassrootsState.SUPERSEDED
        table.decided_by, table.decided_at, table.decision_note = user, clock.utcnow(), note or None
        return Decided(table.id, table.state)


