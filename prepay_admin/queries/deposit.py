"""Reading the deposit reference (DEPOSIT.md): a region's current run of a year and its cells, filtered and
paged by keyset (a prefecture holds up to 250,000 cells: never an OFFSET over them)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..models import DepositCell, DepositFinding, DepositRun, Institution
from ..policy.deposit import CLASS_CN, FINDING_CN, FINDING_STATUS_CN, OPEN, FindingKind, InsuranceClass, change
from ..services.deposit import current_run
from ..services.errors import NotFound
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
        return tuple(FindingLine(f.id, code, name, f.kind, FINDING_CN[FindingKind(f.kind)], f.group_code,
                                 CLASS_CN[InsuranceClass(f.insurance_class)] if f.insurance_class else "—", f.breach,
                                 f.article, f.published, f.reference, f.message, f.status, FINDING_STATUS_CN[f.status],
                                 f.found_on, f.last_seen_on) for f, code, name in rows)
