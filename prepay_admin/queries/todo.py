"""What waits for whom (待办): per region, each piece of work that is due, the department whose duty it is
(24§), how many it concerns, by when, and the screen where it is done; and the scheduler's notices
addressed to the region and department.

Every item is a count of a state the services define (an application submitted, a batch whose next
level is a department's, an instruction pending, a receivable demanded and overdue): nothing here decides
what a step may do, only where a department's attention is due. The screens link each item by its
``screen``; the API returns the same items.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import exists, func, or_, select, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from ..db import Money
from ..models import (
    Application,
    BatchItem,
    Campaign,
    DepositFinding,
    DepositRun,
    Determination,
    Discharge,
    FundPositionRecord,
    Institution,
    MonthlyPayout,
    Notice,
    PaymentBatch,
    PaymentInstruction,
    PreSettlement,
    Receivable,
    Region,
    SettlementRun,
)
from ..policy.departments import WHOLE_SERVICE, Department
from ..policy.deposit import OPEN, RECOMPUTE, RECTIFY
from ..policy.facts import Fund
from ..policy.transitions import (
    ApplicationState,
    BatchState,
    CampaignState,
    DeterminationState,
    PaymentState,
    PresettlementState,
    ReceivableState,
)
from ..services.batch import chain_of, next_level
from ..services.calendar import year_known
from ..services.receivables import overdue_on, recovered_sum
from ..services.rules import effective_profile
from ..services.unit_of_work import find_region

NOTICE_DAYS = 7  # the scheduler's notices of the last week are shown; older ones are in the audit of jobs
NOTICES_SHOWN = 20


@dataclass(frozen=True)
class Todo:
    department: Department  # whose duty it is (24§)
    key: str  # what kind of work: one per item kind, stable for tests and the API
    label: str  # what to do, in the words of the texts
    count: int  # how many objects wait
    screen: str  # where it is done: cycle, batch, presettlement, receivables, settlements, imports, calendar
    ids: dict = field(default_factory=dict)  # the screen's parameters: year, batch_id, presettlement_id
    due: dt.date | None = None
    days_left: int | None = None  # calendar days from today; negative: overdue
    article: str = ""


@dataclass(frozen=True)
class NoticeLine:
    at: dt.datetime
    kind: str  # reminder, warning, ledger_breach
    message: str


@dataclass(frozen=True)
class TodoList:
    region_code: str
    region_name: str
    today: dt.date
    items: tuple[Todo, ...]  # every department's, in the order of the year's work
    notices: tuple[NoticeLine, ...]

    def of(self, department: Department) -> tuple[Todo, ...]:
        return tuple(t for t in self.items if t.department == department)


def notices_for(session: Session, region_id: int, department: Department | None, since: dt.datetime | None = None,
                limit: int = NOTICES_SHOWN) -> tuple[NoticeLine, ...]:
    """The scheduler's notices for the region and the department (or everyone). A notice about no one region
    (the nightly verify of every book, next year's calendar, those written before notices were addressed)
    may name any region's institutions: only those who oversee the whole service (审计, 管理员) see it."""
    whole_service = department in WHOLE_SERVICE
    query = select(Notice.created_at, Notice.kind, Notice.message).where(
        or_(Notice.region_id == region_id, Notice.region_id.is_(None)) if whole_service else
        Notice.region_id == region_id)
    if department is not None:
        query = query.where(or_(Notice.department == department.value, Notice.department.is_(None)))
    if since is not None:
        query = query.where(Notice.created_at >= since)
    return tuple(NoticeLine(*row) for row in session.execute(query.order_by(Notice.id.desc()).limit(limit)))


def todo_list(sessions: sessionmaker, region_code: str, today: dt.date,
              department: Department | None = None) -> TodoList:
    """What waits in the region, for every department (``items``); the notices of the last week, for
    ``department`` if given."""
    with sessions() as session:
        region = find_region(session, region_code)
        items: list[Todo] = []
        items += _years_to_open(session, region, today)
        for campaign in session.scalars(select(Campaign).where(Campaign.region_id == region.id)
                                        .order_by(Campaign.year)):
            items += _campaign_work(session, campaign, today)
        items += _signatures_due(session, region, today)
        items += _presettlement_work(session, region)
        items += _settlements_to_run(session, region)
        items += _receivable_work(session, region, today)
        items += _deposit_work(session, region, today)
        if today.month >= 11 and not year_known(session, today.year + 1):
            items.append(Todo(Department.ADMINISTRATOR, "calendar", f"载入 {today.year + 1} 年节假日安排（签约期限按工作日计算）",
                              1, "calendar", {}, dt.date(today.year, 12, 31), (dt.date(today.year, 12, 31) - today).days,
                              "15§(三)"))
        since = dt.datetime.combine(today - dt.timedelta(days=NOTICE_DAYS), dt.time(), tzinfo=dt.timezone.utc)
        return TodoList(region.code, region.name, today, tuple(i for i in items if i.count),
                        notices_for(session, region.id, department, since))


def _days(due: dt.date | None, today: dt.date) -> int | None:
    return None if due is None else (due - today).days


def _years_to_open(session: Session, region: Region, today: dt.date) -> list[Todo]:
    """9§, 15§: a year with the fund's figures and no campaign yet, up to next year, is the finance
    department's to open (the earliest first: the year that is due)."""
    opened = select(Campaign.year).where(Campaign.region_id == region.id)
    years = session.scalars(select(FundPositionRecord.year).where(
        FundPositionRecord.region_id == region.id, FundPositionRecord.year <= today.year + 1,
        FundPositionRecord.year.not_in(opened)).distinct().order_by(FundPositionRecord.year)).all()
    items = [Todo(Department.FINANCE, "open_year", f"开启 {y} 年度预付（测算基金可支付月数）", 1, "cycle", {"year": y},
                  article="9§、15§") for y in years[:1]]
    coming = today.year + 1
    if today.month >= 10 and not years and not session.scalar(select(func.count()).select_from(FundPositionRecord).where(
            FundPositionRecord.region_id == region.id, FundPositionRecord.year == coming)):
        # the next year cannot be opened before its fund figures are in (9§): say so in the autumn
        items.append(Todo(Department.FINANCE, "fund_figures", f"导入 {coming} 年度基金结余数据（开启 {coming} 年度预付的前提）",
                          1, "imports", {}, article="9§"))
    return items


def _campaign_work(session: Session, campaign: Campaign, today: dt.date) -> list[Todo]:
    year, ids = campaign.year, {"year": campaign.year}
    pay_by = _pay_by(session, campaign)
    items: list[Todo] = []
    if campaign.state == CampaignState.OPEN:
        submitted = session.scalar(select(func.count()).select_from(Application).where(
            Application.campaign_id == campaign.id, Application.state == ApplicationState.SUBMITTED))
        if not campaign.determination_run:  # 15§(一): the year is open and nothing determined yet
            region = session.get(Region, campaign.region_id)
            deadline = effective_profile(session, region, year).calendar.application_deadline.in_campaign(year)
            items.append(Todo(Department.FUND_SETTLEMENT, "apply", f"{year} 年度：受理定点医疗机构的预付申请"
                              f"（已受理 {submitted} 份）", 1, "cycle", ids, deadline, _days(deadline, today),
                              "15§(一)"))
        items.append(Todo(Department.FUND_SETTLEMENT, "determine", f"{year} 年度：{submitted} 份预付申请待审核核定",
                          submitted, "cycle", ids, article="10§、12§、15§(二)"))
    states = dict(session.execute(select(Determination.state, func.count()).where(
        Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)
        .group_by(Determination.state)).all())
    if campaign.state == CampaignState.OPEN and states.get(DeterminationState.COMPUTED):
        n = states[DeterminationState.COMPUTED]
        items.append(Todo(Department.FUND_SETTLEMENT, "fix_list", f"{year} 年度：已核定 {n} 家，待确定预付名单",
                          n, "cycle", ids, article="15§(二)"))
    if campaign.state == CampaignState.LIST_FIXED:
        due = campaign.signing_deadline
        listed, secured = states.get(DeterminationState.LISTED, 0), states.get(DeterminationState.SECURED, 0)
        items.append(Todo(Department.FUND_SETTLEMENT, "security", f"{year} 年度：{listed} 家待办理担保、抵押手续",
                          listed, "cycle", ids, due, _days(due, today), "13§、15§(三)"))
        items.append(Todo(Department.FUND_SETTLEMENT, "agreement", f"{year} 年度：{secured} 家已办理担保，待签订预付协议",
                          secured, "cycle", ids, due, _days(due, today), "15§(三)"))
        unbatched = session.scalar(select(func.count()).select_from(Determination).where(
            Determination.campaign_id == campaign.id, Determination.state == DeterminationState.SIGNED,
            Determination.id.not_in(select(BatchItem.determination_id))))
        items.append(Todo(Department.FUND_SETTLEMENT, "prepare", f"{year} 年度：{unbatched} 家已签协议，待编制拨付批次",
                          unbatched, "cycle", ids, pay_by, _days(pay_by, today), "24§(二)、15§(四)"))
    for batch_id, state in session.execute(select(PaymentBatch.id, PaymentBatch.state).where(
            PaymentBatch.campaign_id == campaign.id, PaymentBatch.state.in_((BatchState.DRAFT, BatchState.APPROVED,
                                                                             BatchState.PAYING)))):
        if state == BatchState.DRAFT:
            items.append(Todo(Department.FUND_SETTLEMENT, "submit_batch", f"拨付批次 {batch_id}：待核对并提交逐级审核",
                              1, "batch", {"batch_id": batch_id}, pay_by, _days(pay_by, today), "24§(五)、15§(四)"))
        elif state == BatchState.APPROVED:
            items.append(Todo(Department.FINANCE, "pay_batch", f"拨付批次 {batch_id}：逐级审核已通过，待下达拨付指令",
                              1, "cycle", ids, pay_by, _days(pay_by, today), "15§(四)、24§(一)"))
        else:
            pending = session.scalar(select(func.count()).select_from(PaymentInstruction).where(
                PaymentInstruction.batch_id == batch_id, PaymentInstruction.state == PaymentState.PENDING))
            items.append(Todo(Department.FINANCE, "confirm", f"拨付批次 {batch_id}：{pending} 笔拨付指令待确认到账（银行回单）",
                              pending, "cycle", ids, pay_by, _days(pay_by, today), "15§(四)、24§(一)"))
            returned = session.scalar(select(func.count()).select_from(PaymentInstruction).where(
                PaymentInstruction.batch_id == batch_id, PaymentInstruction.state == PaymentState.FAILED))
            reviews = session.scalar(select(func.count()).select_from(PaymentInstruction).where(
                PaymentInstruction.batch_id == batch_id, PaymentInstruction.state == PaymentState.PENDING,
                PaymentInstruction.reissued_by.is_not(None), PaymentInstruction.reissue_approved_by.is_(None)))
            items.append(Todo(Department.INTERNAL_AUDIT, "review_reissue", f"拨付批次 {batch_id}：{reviews} 笔重新拨付待复核"
                              f"（账户、依据），复核后方可发送银行", reviews, "cycle", ids, pay_by, _days(pay_by, today),
                              "24§(四)、15§(四)"))
            items.append(Todo(Department.FINANCE, "reissue", f"拨付批次 {batch_id}：{returned} 笔被银行退票，"
                              f"待更正机构账户后重新拨付或作废", returned, "cycle", ids, pay_by, _days(pay_by, today),
                              "15§(四)"))
    return items


def _pay_by(session: Session, campaign: Campaign) -> dt.date:
    """15§(四): the day by which the year's list is confirmed and paid (the profile's, or the year's override)."""
    region = session.get(Region, campaign.region_id)
    return effective_profile(session, region, campaign.year).calendar.confirmed_and_paid_by.in_campaign(campaign.year)


def _signatures_due(session: Session, region: Region, today: dt.date) -> list[Todo]:
    """24§(五), RULES §4: a batch in review waits for the department of its chain's next level."""
    items = []
    chains: dict[int, object] = {}
    for batch, campaign in session.execute(select(PaymentBatch, Campaign).join(Campaign)
                                           .where(Campaign.region_id == region.id,
                                                  PaymentBatch.state == BatchState.SIGNING)
                                           .order_by(PaymentBatch.id)):
        if campaign.id not in chains:
            chains[campaign.id] = chain_of(session, campaign)
        level = next_level(batch, chains[campaign.id])  # type: ignore[arg-type]
        pay_by = _pay_by(session, campaign)
        if level is not None:
            items.append(Todo(level.department, "sign_batch", f"拨付批次 {batch.id}（{campaign.year} 年度）待“{level.title}”签字",
                              1, "batch", {"batch_id": batch.id}, pay_by, _days(pay_by, today), "24§(五)、15§(四)"))
        else:  # the profile's chain changed while it was in review: its preparer returns it
            items.append(Todo(Department.FUND_SETTLEMENT, "return_batch",
                              f"拨付批次 {batch.id}：审核环节已随政策参数方案变更，须退回后重新签字",
                              1, "batch", {"batch_id": batch.id}, article="24§(五)"))
    return items


def _presettlement_work(session: Session, region: Region) -> list[Todo]:
    """26§: a pre-settlement in review waits for its chain's next level; an approved one for payment."""
    from ..services.presettlement import next_level as presettlement_next
    from .receivables import _chain

    items = []
    known: dict = {}
    for p, code in session.execute(select(PreSettlement, Institution.code).join(Institution)
                                   .where(PreSettlement.region_id == region.id,
                                          PreSettlement.state.in_((PresettlementState.DRAFT,
                                                                   PresettlementState.SIGNING,
                                                                   PresettlementState.APPROVED)))
                                   .order_by(PreSettlement.id)):
        ids = {"presettlement_id": p.id}
        what = f"月度预结算 {p.id}（{code}，{p.month:%Y年%m月}）"
        if p.state == PresettlementState.APPROVED:
            items.append(Todo(Department.FINANCE, "pay_presettlement", f"{what}：审核已通过，待拨付", 1,
                              "presettlement", ids, article="26§"))
            continue
        level = presettlement_next(session, p, _chain(session, p, known))
        if level is not None:
            items.append(Todo(level.department, "sign_presettlement", f"{what}：待“{level.title}”签字", 1,
                              "presettlement", ids, article="26§"))
    return items


def _settlements_to_run(session: Session, region: Region) -> list[Todo]:
    """17§, 20§(二)1: a month whose settlement data is imported waits for the finance department's run,
    which withholds what is owed back."""
    items = []
    for fund, months in _months_to_settle(session, region).items():
        label = "职工" if fund.value == "employee" else "居民"
        items.append(Todo(Department.FINANCE, "settle", f"{label}医保：{len(months)} 个月的结算数据已导入、尚未结算"
                          f"（最早 {months[0]:%Y年%m月}）", len(months), "settlements", {}, article="17§、20§(二)1"))
    return items


def _months_to_settle(session: Session, region: Region) -> dict[Fund, list[dt.date]]:
    """Per fund, the months whose settlement data is imported after the last month settled (or, before
    any, from the month the first advance was paid: earlier months are the data advances are computed
    from, not settlements to withhold from).

    Read without scanning the payouts (millions of rows in a province, seconds to group): the months
    after the start are walked through the month index one by one (``min(month) > m``), and each is
    asked whether the region has a row of the fund in it (an ``EXISTS`` that stops at the first)."""
    due: dict[Fund, list[dt.date]] = {}
    first_paid = session.scalar(select(func.min(PaymentInstruction.paid_on)).join(PaymentBatch)
                                .join(Campaign).where(Campaign.region_id == region.id))
    settled = dict(session.execute(
        select(SettlementRun.fund, func.max(SettlementRun.month))
        .where(SettlementRun.region_id == region.id, SettlementRun.kind == "monthly")
        .group_by(SettlementRun.fund)).all())
    for fund in Fund:
        last = settled.get(fund)
        start = last if last is not None else (first_paid.replace(day=1) if first_paid else None)
        if start is None:
            continue
        months, month = [], start
        after = MonthlyPayout.month > month if last is not None else MonthlyPayout.month >= month
        while (month := session.scalar(select(func.min(MonthlyPayout.month)).where(after))) is not None:
            if session.scalar(select(exists().where(
                    MonthlyPayout.month == month, MonthlyPayout.fund == fund,
                    MonthlyPayout.institution_id == Institution.id, Institution.region_id == region.id))):
                months.append(month)
            after = MonthlyPayout.month > month
        if months:
            due[fund] = months
    return due


def next_settlement(sessions: sessionmaker, region_code: str) -> tuple[dt.date, Fund] | None:
    """The month (and fund) the settlement form offers: the earliest imported and not yet settled."""
    with sessions() as session:
        due = _months_to_settle(session, find_region(session, region_code))
    return min(((months[0], fund) for fund, months in due.items()), default=None, key=lambda m: (m[0], m[1].value))


def _receivable_work(session: Session, region: Region, today: dt.date) -> list[Todo]:
    """20§(二): money owed and not demanded yet; demands overdue (sue, or claim in bankruptcy)."""
    done = recovered_sum()
    outstanding = type_coerce(Receivable.amount - func.coalesce(done.c.recovered, 0), Money())
    rows = session.execute(select(Receivable.state, outstanding)
                           .outerjoin(done, done.c.receivable_id == Receivable.id)
                           .where(Receivable.region_id == region.id, Receivable.state == ReceivableState.OPEN)).all()
    open_ = sum(1 for state, owed in rows if owed > Decimal("0"))
    overdue = list(session.scalars(select(Receivable.due_on).where(Receivable.region_id == region.id,
                                                                   *overdue_on(today))))
    first = min(overdue) if overdue else None
    return [Todo(Department.FINANCE, "receivables", f"{open_} 笔应收预付金尚未催收（结算扣回、通知交回或催收）",
                 open_, "receivables", {}, article="17§、20§(二)1"),
            Todo(Department.FINANCE, "overdue", f"{len(overdue)} 笔催收逾期未交回（可提起诉讼或申报破产债权）",
                 len(overdue), "receivables", {}, first, _days(first, today), "20§(二)4–5")]


def _deposit_work(session: Session, region: Region, today: dt.date) -> list[Todo]:
    """DEPOSIT.md (基金结算部门): the year's reference once settlements are held, findings not yet notified,
    recompute deadlines (XJ 24: 30 days) coming or passed."""
    if session.scalar(select(Discharge.id).where(Discharge.region_id == region.id).limit(1)) is None:
        return []
    year = today.year
    ids = {"year": year}
    items: list[Todo] = []
    if session.scalar(select(DepositRun.id).where(DepositRun.region_id == region.id, DepositRun.year == year,
                                                  DepositRun.superseded_by.is_(None))) is None:
        items.append(Todo(Department.FUND_SETTLEMENT, "deposit_reference",
                          f"{year} 年度：测算住院预交金参考额度（近三年住院结算数据）", 1, "deposit", ids,
                          article="黔 12、吉 14、新 22"))
    rectify = session.scalar(select(func.count(func.distinct(DepositFinding.institution_id))).where(
        DepositFinding.region_id == region.id, DepositFinding.status == "new",
        DepositFinding.kind.in_([k.value for k in RECTIFY]))) or 0
    items.append(Todo(Department.FUND_SETTLEMENT, "deposit_rectify", "住院预交金：有新发问题的医院待出具整改提示函",
                      rectify, "deposit", ids, article="黔 12、18，吉 14、18"))
    due = session.execute(select(func.count(func.distinct(DepositFinding.institution_id)), func.min(DepositFinding.due_on))
                          .where(DepositFinding.region_id == region.id, DepositFinding.status.in_(OPEN),
                                 DepositFinding.kind.in_([k.value for k in RECOMPUTE]))).one()
    items.append(Todo(Department.FUND_SETTLEMENT, "deposit_recompute",
                      "住院预交金：须在期限内重新测算的医院（待通知、跟踪）", due[0] or 0, "deposit", ids, due[1],
                      _days(due[1], today), "新 24"))
    return items
