"""Load the demo pooling region: one transaction, streamed in chunks, idempotent by region code."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Callable

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from accounting.collector import collector_paused

from .. import clock
from ..db import bulk_insert, insert_many
from ..demo.discharges import (
    deposit_tables_effective,
    plan_complaints,
    plan_deposit_tables,
    plan_discharges,
    plan_payment_standards,
)
from ..demo.generator import InstitutionPlan, fund_positions, plan_region
from ..intake.kinds import KINDS
from ..intake.writing import data_csv
from ..models import (
    AnnualStanding,
    Bar,
    DepositBilling,
    DepositFinding,
    Discharge,
    FundPositionRecord,
    Institution,
    InstitutionCondition,
    MonthlyPayout,
    Region,
    RegionAccount,
)
from ..policy.facts import Fund
from .demo_cycle import DEMO_STAFF, PlayedCycle, ensure_demo_staff, play_cycle
from .demo_return import REPAYING_INDEX, play_two_years
from .deposit import check_tables, compute_reference, current_run
from .identity import grant_region_in
from .imports import discharge_row, import_file
from .regions import check_region, create_region_in, require_profile

DEMO_REGION_CODE = "320600"
DEMO_REGION_NAME = "南通市（演示）"
CHUNK = 1000


@dataclass(frozen=True)
class DemoLoad:
    region_code: str
    created: bool
    institutions: int
    payouts: int
    cycle: PlayedCycle | None = None
    two_years: bool = False
    resumed: bool = False  # the same demo was loaded before, perhaps interrupted: only what was left was played


def load_demo(
    sessions: sessionmaker,
    *,
    institutions: int,
    seed: int,
    year: int,
    profile: str = "nantong-2025",
    region_code: str = DEMO_REGION_CODE,
    region_name: str = DEMO_REGION_NAME,
    progress: Callable[[int], None] = lambda n: None,
    play: bool = True,
    step: Callable[[str], None] = lambda s: None,
    years: int = 1,
    check: Callable[[str], None] = lambda s: None,
    discharges: bool = False,
) -> DemoLoad:
    """Create the demo region unless a region with that code exists.

    With ``play``, the year's campaign is then played through to payment (``demo_cycle``),
    each step its own use case, as staff would do it. With ``years=2`` the year before is played
    too, and the money comes back (``demo_return``): settlements, triggers, year end, write-off.

    The region and its institutions are one transaction; each played step commits on its own. So a
    load killed at any point is rerun to the same end state: when the region is this very demo (same
    institutions from the same seed), the rerun plays only the steps not yet done. Any other region
    with that code is left as it is.
    """
    if years not in (1, 2):
        raise ValueError("演示数据可走 1 或 2 个年度")
    check_region(region_code, region_name)  # before writing anything
    with sessions() as session:
        require_profile(session, profile)
    ensure_demo_staff(sessions)  # so the cycle can be walked by hand from the terminal too
    with sessions.begin() as session:
        existing = session.scalar(select(Region).where(Region.code == region_code))
        if existing is not None and not _same_demo(session, existing, seed, institutions, year):
            return DemoLoad(region_code, False, 0, 0)
    loaded = payouts = 0
    if existing is None:
        loaded, payouts = load_demo_region(sessions, region_code, region_name, profile, year, years, seed,
                                       institutions, progress)
    created = existing is None
    if discharges:  # DEPOSIT.md item 9: three years of inpatient settlements of its hospitals (a rerun after a
        step("载入三个年度的住院结算明细")  # kill loads them if the one transaction that loads them did not end)
        load_discharges(sessions, region_code, seed, institutions, year)
        step("导入病组支付标准和各医院公示的住院预交金，测算参考额度并检查")
        load_deposit_story(sessions, region_code, seed, institutions, year)
    if play and years == 2:
        play_two_years(sessions, region_code, year, seed, step, check)
        return DemoLoad(region_code, created, loaded, payouts, None, True, resumed=not created)
    cycle = play_cycle(sessions, region_code, year, seed, step) if play else None
    return DemoLoad(region_code, created, loaded, payouts, cycle, resumed=not created)


def _same_demo(session: Session, region: Region, seed: int, institutions: int, year: int) -> bool:
    """The region holds the demo this seed generates: as many institutions, the first one the same."""
    first = next(plan_region(seed, 1, year, region.code[:4]))
    found = session.execute(select(Institution.code, Institution.name).where(Institution.region_id == region.id)
                            .order_by(Institution.code).limit(1)).first()
    count = session.scalar(select(func.count(Institution.id)).where(Institution.region_id == region.id))
    return count == institutions and found is not None and tuple(found) == (first.code, first.name)


def load_demo_region(sessions: sessionmaker, region_code: str, region_name: str, profile: str, year: int, years: int,
                 seed: int, institutions: int, progress: Callable[[int], None]) -> tuple[int, int]:
    """The region, its accounts, staff grants, fund positions and institutions: one transaction."""
    with collector_paused(), sessions.begin() as session:
        region = create_region_in(session, region_code, region_name, profile, year)
        for fund, no in ((Fund.EMPLOYEE, "1"), (Fund.RESIDENT, "2")):  # the bureau's 支出户, named on demands
            session.add(RegionAccount(region_id=region.id, fund=fund, account_name=f"{region_name}医疗保险基金支出户",
                                      bank_name="中国工商银行南通分行营业部", account_no=f"11101{region_code}{no:0>8}"))
        for username, _, _ in DEMO_STAFF:  # the demo's staff work in the demo region
            grant_region_in(session, username, region_code, "demo")
        for y in range(year - years + 1, year + 1):
            _fund_positions(session, region.id, y, institutions)
        plans = plan_region(seed, institutions, year, region_code[:4])
        loaded = payouts = 0
        while chunk := list(islice(plans, CHUNK)):
            payouts += _insert_chunk(session, region.id, year, chunk, years)
            loaded += len(chunk)
            progress(len(chunk))
    return loaded, payouts


def _fund_positions(session: Session, region_id: int, year: int, institutions: int) -> None:
    for figures in fund_positions(year, institutions):
        session.add(FundPositionRecord(region_id=region_id, **figures))


def _insert_chunk(session: Session, region_id: int, year: int, plans: list[InstitutionPlan], years: int = 1) -> int:
    ids = insert_many(session, Institution, [
        dict(region_id=region_id, code=p.code, name=p.name, credit_code=p.credit_code, kind=p.kind, level=p.level,
             state_run=p.state_run, settled_since=p.settled_since, bank_name=p.bank_name, bank_account=p.bank_account)
        for p in plans], "code", Institution.region_id == region_id, Institution.code.in_([p.code for p in plans]))
    conn = session.connection()
    standing_years = range(year - years + 1, year + 1)
    conn.execute(insert(AnnualStanding), [
        dict(institution_id=i, year=y, assessment=p.assessment, credit_grade=p.credit_grade,
             performance_score=Decimal("92.00") if y < year and p.code.endswith(f"{REPAYING_INDEX + 1:07d}")
             else p.performance_score)
        for i, p in zip(ids, plans) for y in standing_years
    ])
    conditions = [dict(institution_id=i, year=y, flag=f, evidence="演示数据", registered_on=dt.date(y - 1, 11, 30))
                  for i, p in zip(ids, plans) for f in sorted(p.flags) for y in standing_years]
    if conditions:
        conn.execute(insert(InstitutionCondition), conditions)
    bars = [dict(institution_id=i, since=p.bar.since, until=p.bar.until, reason="提供虚假财务报表骗取预付金（演示数据）", decision_ref="演示〔处〕1号")
            for i, p in zip(ids, plans) if p.bar]
    if bars:
        conn.execute(insert(Bar), bars)
    # no securities yet: an institution registers its pledge in the signing window (RULES §2);
    # the demo cycle registers what each one's plan offers
    payouts = [(i, r.month, r.fund.value, r.amount_fen, r.out_of_region_fen) for i, p in zip(ids, plans) for r in p.payouts]
    bulk_insert(conn, MonthlyPayout.__table__, ("institution_id", "month", "fund", "amount", "out_of_region"), payouts)
    return len(payouts)


def load_discharges(sessions: sessionmaker, region_code: str, seed: int, institutions: int, year: int) -> int:
    """The demo's inpatient settlements (``demo.discharges``), stored as an import of the same records would
    store them (``imports.discharge_row``), in one transaction."""
    with collector_paused(), sessions.begin() as session:
        region = session.scalar(select(Region).where(Region.code == region_code))
        if session.scalar(select(Discharge.id).where(Discharge.region_id == region.id).limit(1)) is not None:
            return 0  # loaded before (all or nothing: one transaction)
        ids = dict(session.execute(select(Institution.code, Institution.id).where(Institution.region_id == region.id))
                   .all())
        records = plan_discharges(seed, plan_region(seed, institutions, year, region_code[:4]), year, region_code,
                                  through=clock.today())
        written = 0
        while chunk := list(islice(records, 5000)):
            rows = []
            for record in chunk:
                values = dict(record)
                values["institution_id"] = ids[values.pop("institution_code")]
                rows.append(discharge_row(region, values))
            session.execute(insert(Discharge), rows)
            written += len(rows)
        return written


DEMO_CLERK = "jiesuan1"  # 基金结算部门: the deposit story is theirs


def load_deposit_story(sessions: sessionmaker, region_code: str, seed: int, institutions: int, year: int) -> None:
    """DEPOSIT.md item 9, as staff would do it: 基金结算 imports the groups' payment standards and the hospitals'
    published tables (files as ``demo files`` writes them: the same file again changes nothing), computes the
    year's reference where none is current and checks the tables in force today."""
    plans = plan_region(seed, institutions, year, region_code[:4])
    for kind, rows in (("payment-standards", plan_payment_standards(year)),
                       ("deposit-tables", plan_deposit_tables(seed, plans, deposit_tables_effective(year))),
                       ("complaints", plan_complaints(seed, plan_region(seed, institutions, year, region_code[:4]),
                                                      clock.today(), year))):
        buffer = io.BytesIO()
        data_csv(KINDS[kind], rows, buffer)
        buffer.seek(0)
        report = import_file(sessions, DEMO_CLERK, region_code, kind, f"{kind}.csv", buffer)
        if report.error_count:
            raise RuntimeError(f"演示数据 {kind} 有误：{report.errors[:3]}")
    with sessions() as session:
        region = session.scalar(select(Region).where(Region.code == region_code))
        computed = current_run(session, region.id, year) is not None
    if not computed:
        compute_reference(sessions, region_code, year, DEMO_CLERK)
    with sessions() as session:  # each check is one transaction: a rerun after a kill runs those not yet run
        checked = any(session.scalar(select(model.id).where(model.region_id == region.id).limit(1)) is not None
                      for model in (DepositFinding, DepositBilling))
    watch_deposits(sessions, region_code, year, first=not checked)


def watch_deposits(sessions: sessionmaker, region_code: str, year: int, first: bool = True) -> None:
    """The demo bureau's checks: it has watched since three months ago (its findings of then are old now, its
    triggers overdue), and it checks today."""
    if first:
        check_tables(sessions, region_code, year, clock.today() - dt.timedelta(days=90), DEMO_CLERK)
    check_tables(sessions, region_code, year, clock.today(), DEMO_CLERK)
