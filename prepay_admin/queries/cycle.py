"""What the annual cycle looks like now: progress, a batch with its hash, payment instructions."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accounting.ledger import find_book
from accounting.models import Book, LedgerAccount

from ..models import Application, Campaign, Determination, Institution, PaymentBatch, PaymentInstruction, Region
from ..policy.facts import Fund
from ..policy.transitions import (
    BATCH,
    CAMPAIGN,
    DETERMINATION,
    IN_SIGNING_WINDOW,
    PAYMENT,
    UNSETTLED_PAYMENTS,
    BatchState,
    DeterminationState,
    PaymentState,
)
from ..services.batch import chain_of, get_batch, next_level
from ..services.payment import awaits_review, sendable
from ..services.payment_return import sent_rows
from ..services.rules import effective_profile
from ..services.unit_of_work import find_campaign, find_region
from .matching import like
from .overview import batch_sizes


@dataclass(frozen=True)
class BatchSummary:
    id: int
    state: str
    items: int
    amount: Decimal
    payable: bool = False  # every level of the chain signed: payment instructions may be issued
    paying: bool = False  # instructions issued and some still pending: the bank's return may be uploaded


@dataclass(frozen=True)
class CycleStatus:
    year: int
    profile: str
    profile_version: int  # the stored version the campaign was opened with, kept for the year
    profile_sha256: str
    state: str
    signing_working_days: int
    signing_deadline: dt.date | None
    provisional: bool
    pay_by: dt.date
    determinations: tuple[tuple[str, int], ...]
    batches: tuple[BatchSummary, ...]


def status(sessions: sessionmaker, region_code: str, year: int) -> CycleStatus:
    with sessions() as session:
        region = find_region(session, region_code)
        campaign = find_campaign(session, region, year)
        calendar = effective_profile(session, region, year).calendar
        states = Counter(dict(session.execute(select(Determination.state, func.count()).where(
            Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)
            .group_by(Determination.state)).all()))
        sizes = batch_sizes(session, campaign.id)
        batches = tuple(BatchSummary(b.id, BATCH.label(b.state), *sizes.get(b.id, (0, Decimal("0.00"))))
                        for b in session.scalars(select(PaymentBatch).where(PaymentBatch.campaign_id == campaign.id)
                                                 .order_by(PaymentBatch.id)))
        return CycleStatus(year, campaign.profile, campaign.profile_version, campaign.profile_sha256,
                           CAMPAIGN.label(campaign.state), calendar.signing_working_days,
                           campaign.signing_deadline, campaign.signing_deadline_provisional,
                           calendar.confirmed_and_paid_by.in_campaign(year),
                           tuple((DETERMINATION.label(s), n) for s, n in states.most_common()), batches)


@dataclass(frozen=True)
class BatchLine:
    institution_code: str
    institution_name: str
    fund: str
    determined: Decimal
    held: Decimal
    amount: Decimal
    bank_name: str
    bank_account: str


@dataclass(frozen=True)
class BatchView:
    id: int
    state: str
    next_level: str | None  # the sign-off due, in Chinese
    hash: str  # what a signer names: the hash of exactly these lines
    lines: tuple[BatchLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def batch_view(sessions: sessionmaker, batch_id: int) -> BatchView:
    with sessions() as session:
        b = get_batch(session, batch_id)
        level = next_level(b, chain_of(session, session.get(Campaign, b.campaign_id)))
        return BatchView(b.id, BATCH.label(b.state), level.title if level else None, b.content_hash, tuple(
            BatchLine(i.institution_code, i.institution_name, i.fund.value, i.determined, i.held, i.amount,
                      i.bank_name, i.bank_account) for i in b.items))


@dataclass(frozen=True)
class InstructionLine:
    id: int
    institution_code: str
    fund: str
    amount: Decimal
    bank_account: str
    state: str
    issued_on: dt.date
    pending: bool  # awaiting the bank: may be confirmed or voided
    bank_ref: str | None = None
    paid_on: dt.date | None = None
    paid_from: str | None = None  # the paying account's code and name, e.g. 100202 支出户存款
    failed: bool = False  # returned unpaid by the bank (退票): may be re-issued or voided
    failure_reason: str | None = None
    bank_name: str = ""
    awaiting_review: bool = False  # re-issued, waiting for 内审's review before it is sent
    batch_id: int = 0
    reissued: bool = False  # sent again on its own: confirmed with its own reference, never in a batch transfer


def instructions(sessions: sessionmaker, batch_id: int) -> tuple[InstructionLine, ...]:
    """Every payment instruction of a batch."""
    with sessions() as session:
        return _instruction_lines(session, [PaymentInstruction.batch_id == batch_id])


def pending_instruction_records(sessions: sessionmaker, batch_id: int) -> Iterator[dict]:
    """The batch's instructions still pending, as rows of the bank's sheet (reference and date left blank
    for the bank to fill): streamed, a province's batch included."""
    with sessions() as session:
        yield from sent_rows(session, batch_id)


def _instruction_lines(session: Session, where: list, offset: int = 0, limit: int | None = None,
                       pending_first: bool = False) -> tuple[InstructionLine, ...]:
    rows = session.scalars(select(PaymentInstruction).where(*where).order_by(
        *((PaymentInstruction.state.not_in(UNSETTLED_PAYMENTS),) if pending_first else ()), PaymentInstruction.id)
        .offset(offset).limit(limit)).all()
    if not rows:
        return ()
    region_code = session.scalar(select(Region.code).join(Campaign, Campaign.region_id == Region.id)
                                 .join(PaymentBatch, PaymentBatch.campaign_id == Campaign.id)
                                 .where(PaymentBatch.id == rows[0].batch_id))
    names = {f"{b.region_code}/{b.fund}/{a.role.value}": f"{a.code} {a.name}" for b, a in session.execute(
        select(Book, LedgerAccount).join(LedgerAccount, LedgerAccount.book_id == Book.id)
        .where(Book.region_code == region_code))}
    return tuple(InstructionLine(p.id, p.institution_code, p.fund.value, p.amount, p.bank_account,
                                 PAYMENT.label(p.state), p.issued_on, p.state == PaymentState.PENDING,
                                 p.bank_ref, p.paid_on, names.get(p.paying_account or ""),
                                 p.state == PaymentState.FAILED, p.failure_reason, p.bank_name,
                                 p.state == PaymentState.PENDING and awaits_review(p), p.batch_id, p.attempt > 1)
                 for p in rows)


def window_codes(sessions: sessionmaker, region_code: str, year: int, states: tuple[str, ...],
                 search: str | None = None) -> list[str]:
    """The codes of the signing window's institutions in ``states`` whose code or name contains ``search``:
    a bulk step's "all that the search finds" (the region access is the caller's check)."""
    with sessions() as session:
        region = find_region(session, region_code)
        campaign = session.scalar(select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year))
        if campaign is None:
            return []
        where = [Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run,
                 Determination.state.in_(states)]
        if search:
            where.append(Institution.code.like(like(search), escape="\\")
                         | Institution.name.like(like(search), escape="\\"))
        return list(session.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                                    .where(*where).order_by(Institution.code)))


def sendable_instruction_ids(sessions: sessionmaker, batch_id: int, search: str | None = None) -> list[int]:
    """The batch's instructions awaiting the bank (pending, not waiting for a review) whose institution's code
    contains ``search``: a bulk confirmation's "all that the search finds"."""
    with sessions() as session:
        where = [PaymentInstruction.batch_id == batch_id, PaymentInstruction.state == PaymentState.PENDING, sendable()]
        if search:
            where.append(PaymentInstruction.institution_code.like(like(search), escape="\\"))
        return list(session.scalars(select(PaymentInstruction.id).where(*where).order_by(PaymentInstruction.id)))


@dataclass(frozen=True)
class WindowLine:
    """A listed institution in its signing window, or signed, with what it is determined to get."""

    code: str
    name: str
    state: str  # Chinese label
    in_window: bool
    signed: bool
    determined: Decimal  # both funds, before the security registered in the window
    final: Decimal | None  # both funds, capped by the registered security
    security_pending: bool


@dataclass(frozen=True)
class CyclePage:
    region_code: str
    region_name: str
    year: int
    opened: bool
    state: str | None
    determination_run: int
    applications: int
    list_fixed_on: dt.date | None
    signing_deadline: dt.date | None
    pay_by: dt.date
    window: tuple[WindowLine, ...]  # one page of the window, narrowed by the search
    window_count: int
    batches: tuple[BatchSummary, ...]
    instructions: tuple[InstructionLine, ...]  # one page, those awaiting the bank first
    instruction_count: int
    paying_accounts_fiscal: bool  # the books keep a 财政专户 to pay from


def cycle_page(sessions: sessionmaker, region_code: str, year: int, page: int = 1, ipage: int = 1,
               search: str | None = None, size: int = 50) -> CyclePage:
    """Everything the cycle screen acts on for a region's year, the signing window and the payment
    instructions a page at a time, narrowed to institutions whose code or name contains ``search``
    (the region access is the caller's check)."""
    with sessions() as session:
        region = find_region(session, region_code)
        calendar = effective_profile(session, region, year).calendar
        campaign = session.scalar(select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year))
        books = [find_book(session, region.code, f) for f in Fund]
        fiscal = all(b is not None and b.fiscal_special_allowed for b in books)
        pay_by = calendar.confirmed_and_paid_by.in_campaign(year)
        if campaign is None:
            return CyclePage(region.code, region.name, year, False, None, 0, 0, None, None, pay_by, (), 0, (), (), 0,
                             fiscal)
        shown = (*IN_SIGNING_WINDOW, DeterminationState.SIGNED, DeterminationState.PAID, DeterminationState.GIVEN_UP)
        in_window = [Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run,
                     Determination.state.in_(shown)]
        if search:
            in_window.append(Institution.code.like(like(search), escape="\\")
                             | Institution.name.like(like(search), escape="\\"))
        joined = select(Determination, Institution).join(Institution, Institution.id == Determination.institution_id)
        window_count = session.scalar(select(func.count()).select_from(joined.where(*in_window).subquery()))
        window = []
        for det, inst in session.execute(joined.where(*in_window).order_by(Institution.code)
                                         .offset((page - 1) * size).limit(size)):
            final = None if all(a.final_amount is None for a in det.advances) else sum(
                (a.final_amount or Decimal("0.00") for a in det.advances), Decimal("0.00"))
            window.append(WindowLine(inst.code, inst.name, DETERMINATION.label(det.state),
                                     det.state in IN_SIGNING_WINDOW, det.state == DeterminationState.SIGNED,
                                     sum((a.amount for a in det.advances), Decimal("0.00")), final,
                                     det.security_id is None and "security_pending" in det.notes_json))
        batch_rows = session.scalars(select(PaymentBatch).where(PaymentBatch.campaign_id == campaign.id)
                                     .order_by(PaymentBatch.id)).all()
        sizes = batch_sizes(session, campaign.id)
        applications = session.scalar(select(func.count()).select_from(Application)
                                      .where(Application.campaign_id == campaign.id))
        paid = [PaymentInstruction.batch_id.in_([b.id for b in batch_rows] or [0])]
        if search:
            paid.append(PaymentInstruction.institution_code.like(like(search), escape="\\"))
        instruction_count = session.scalar(select(func.count()).select_from(PaymentInstruction).where(*paid))
        return CyclePage(
            region.code, region.name, year, True, CAMPAIGN.label(campaign.state), campaign.determination_run,
            applications, campaign.list_fixed_on, campaign.signing_deadline, pay_by, tuple(window), window_count,
            tuple(BatchSummary(b.id, BATCH.label(b.state), *sizes.get(b.id, (0, Decimal("0.00"))),
                               b.state == BatchState.APPROVED, b.state == BatchState.PAYING) for b in batch_rows),
            _instruction_lines(session, paid, (ipage - 1) * size, size, pending_first=True), instruction_count, fiscal)


@dataclass(frozen=True)
class Prerequisite:
    """What a year's cycle needs before (or as) it runs, whether it is there, and where to provide it."""

    key: str
    label: str
    met: bool
    detail: str
    screen: str  # imports, profiles, calendar (as a to-do item's)
    article: str
    required: bool  # opening the year is refused without it (the others are needed at a later step)
    ids: dict = field(default_factory=dict)


def prerequisites(sessions: sessionmaker, region_code: str, year: int) -> tuple[Prerequisite, ...]:
    """Before a year is opened (15§): the fund figures it opens on (9§, required), the profile in force, the
    standings its eligibility reads (10§), last year's monthly payouts its amounts come from (12§), and the
    holiday calendar its signing window counts in (15§(三))."""
    from ..models import AnnualStanding, FundPositionRecord, MonthlyPayout
    from ..policy.reasons import FUND_CN
    from ..profiles import ProfileError
    from ..services.calendar import year_known
    from ..services.rules import profile_version_for

    with sessions() as session:
        region = find_region(session, region_code)
        funds = set(session.scalars(select(FundPositionRecord.fund).where(
            FundPositionRecord.region_id == region.id, FundPositionRecord.year == year)))
        missing = [FUND_CN[f.value] for f in Fund if f not in funds]
        institutions = session.scalar(select(func.count()).select_from(Institution)
                                      .where(Institution.region_id == region.id))
        standings = session.scalar(select(func.count()).select_from(AnnualStanding).join(Institution)
                                   .where(Institution.region_id == region.id, AnnualStanding.year == year))
        months = session.scalar(select(func.count(func.distinct(MonthlyPayout.month))).join(Institution)
                                .where(Institution.region_id == region.id,
                                       MonthlyPayout.month >= dt.date(year - 1, 1, 1),
                                       MonthlyPayout.month < dt.date(year, 1, 1)))
        try:
            stored = profile_version_for(session, region, year)
            profile = (True, f"{stored.name} 第 {stored.version} 版")
        except ProfileError as err:  # reported, not raised: the page says what is missing
            profile = (False, "；".join(m for _, m in err.problems))
        known = year_known(session, year)
    return (
        Prerequisite("funds", f"{year} 年度基金结余数据（职工、居民）", not missing,
                     "已导入" if not missing else f"缺少：{'、'.join(missing)}（数据导入“基金收支”，财务管理部门）",
                     "imports", "9§", True),
        Prerequisite("profile", f"{year} 年度适用的政策参数方案", profile[0], profile[1], "profiles", "RULES §4",
                     True),
        Prerequisite("institutions", "定点医药机构名录", institutions > 0, f"{institutions} 家", "imports", "4§", False),
        Prerequisite("standings", f"{year} 年度考核与评价结果", standings > 0,
                     f"{standings} 家机构已导入（核定资格时使用）" if standings else "尚未导入（核定资格时使用）",
                     "imports", "10§", False),
        Prerequisite("payouts", f"{year - 1} 年度月度基金支付数据", months >= 12,
                     f"已导入 {months}/12 个月（测算预付额度时使用）", "imports", "12§", False),
        Prerequisite("calendar", f"{year} 年节假日安排", known,
                     "已载入" if known else "尚未载入：签约期限将按周一至周五暂定", "calendar", "15§(三)", False),
    )


@dataclass(frozen=True)
class BankLine:
    number: int  # 序号
    payee: str  # 收款户名: the institution's name
    bank_name: str  # 开户行
    bank_account: str
    amount: Decimal
    purpose: str  # 用途 (附言): what the bank prints on the statement
    instruction_id: int
    institution_code: str


@dataclass(frozen=True)
class BankList:
    """One paying account's 代发清单: what the bank is asked to pay from it, with its total."""

    fund: str
    paying_account: str  # the book's deposit account money leaves from: 科目 code and name
    lines: tuple[BankLine, ...]
    total: Decimal


def bank_lists(sessions: sessionmaker, batch_id: int, paid_from) -> tuple[str, int, tuple[BankList, ...]]:
    """15§(四): a batch's instructions waiting for the bank, one list per paying account (each fund's book
    pays from its own deposit account), as (region name, year, lists). ``paid_from``: the ledger role."""
    from ..policy.reasons import FUND_CN

    with sessions() as session:
        batch = get_batch(session, batch_id)
        campaign = session.get(Campaign, batch.campaign_id)
        region = session.get(Region, campaign.region_id)
        rows = session.execute(
            select(PaymentInstruction.id, PaymentInstruction.institution_code, Institution.name,
                   PaymentInstruction.fund, PaymentInstruction.bank_name, PaymentInstruction.bank_account,
                   PaymentInstruction.amount, PaymentInstruction.attempt)
            .join(Institution, (Institution.code == PaymentInstruction.institution_code)
                  & (Institution.region_id == region.id))
            .where(PaymentInstruction.batch_id == batch.id, PaymentInstruction.state == PaymentState.PENDING,
                   sendable())  # a re-issue awaiting 内审's review is not sent
            .order_by(PaymentInstruction.fund, PaymentInstruction.id)).all()
        lists = []
        for fund in Fund:
            mine = [r for r in rows if r.fund == fund]
            if not mine:
                continue
            book = find_book(session, region.code, fund)
            account = session.scalar(select(LedgerAccount).where(LedgerAccount.book_id == book.id,
                                                                 LedgerAccount.role == paid_from)) if book else None
            named = f"{book.name if book else region.name} · {account.code} {account.name}" if account else "（未设置）"
            lines = tuple(BankLine(n, r.name, r.bank_name, r.bank_account, r.amount,
                                   f"{campaign.year}年度医保预付金 指令{r.id}"
                                   + (f" 第{r.attempt}次发送" if r.attempt > 1 else ""), r.id, r.institution_code)
                          for n, r in enumerate(mine, start=1))
            lists.append(BankList(FUND_CN[fund.value], named, lines, sum((r.amount for r in mine), Decimal("0.00"))))
        return region.name, campaign.year, tuple(lists)
