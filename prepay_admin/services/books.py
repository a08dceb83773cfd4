"""A region's ledger books: one per fund, opened with the chart of the year's effective profile,
and the ledger's period closing, done by the finance department (24§(一))."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accounting import reports, templates
from accounting.chart import Chart, Role
from accounting.entries import EntryDraft, LineDraft
from accounting.ledger import close_period_in, get_book, open_book_in, post_in, reopen_period_in
from accounting.models import Book
from accounting.verify import chain_heads

from .. import clock
from ..models import Department, VerifiedHead
from ..policy.facts import Fund
from ..policy.profile import PolicyProfile
from ..policy.reasons import FUND_CN
from .errors import ServiceError
from .unit_of_work import find_region, staff_step

ZERO = Decimal("0.00")


def chart_of(profile: PolicyProfile) -> Chart:
    return Chart.from_mapping({role: (a.code, a.name) for role, a in profile.accounts.items()})


def open_region_books_in(session: Session, region_code: str, region_name: str, profile: PolicyProfile,
                         fiscal_special_allowed: bool = True) -> list[Book]:
    """Open (or find) the employee and resident books of a region; idempotent."""
    chart = chart_of(profile)
    return [
        open_book_in(session, region_code, fund, f"{region_name}{FUND_CN[fund]}", chart, fiscal_special_allowed)
        for fund in Fund
    ]


def fund_payment_in(session: Session, book_id: int, amount: Decimal, on: dt.date, key: str, user: str,
                    paid_from: Role = Role.EXPENDITURE_DEPOSIT) -> None:
    """24§(五), RULES §7 (turn 3): what a deposit pays out (``key`` names the payment) is first allotted
    to it by the fund's main accounts (Dr the deposit / Cr 预付款项资金往来), so no deposit runs a credit
    balance. A retried payment retries the same allotment (its key is the payment's)."""
    if amount <= 0:
        return
    post_in(session, book_id, templates.funded(amount, on, f"{key}:funding", into=paid_from), f"{key}:funding", user)


def remember_verified_heads(sessions: sessionmaker, day: dt.date,
                            heads: dict[int, tuple[int, str]] | None = None) -> None:
    """After a clean nightly check: each book's chain head as verified (``heads``: as read before the
    check began), for the next night to start from."""
    with sessions.begin() as session:
        for book_id, (seq, digest) in (chain_heads(session) if heads is None else heads).items():
            row = session.get(VerifiedHead, book_id)
            if row is None:
                session.add(VerifiedHead(book_id=book_id, seq=seq, hash=digest, verified_on=day))
            else:
                row.seq, row.hash, row.verified_on, row.verified_at = seq, digest, day, clock.utcnow()


def close_period(sessions: sessionmaker, region_code: str, fund: Fund, period: str, user: str) -> str:
    """Close the books through ``period`` (财务管理部门): only a month that has ended; closing one still
    running, or a future one, would refuse every posting of today until it was reopened."""
    current = f"{clock.today():%Y-%m}"
    if period >= current:
        raise ServiceError(f"期间 {period} 尚未结束，不能结账（本月为 {current}，可结账至上月）", "period")
    with staff_step(sessions, user, Department.FINANCE) as step:
        step.enter(find_region(step.session, region_code))  # only the books of a region granted to them
        return close_period_in(step.session, get_book(step.session, region_code, fund).id, period, user).period


def reopen_period(sessions: sessionmaker, region_code: str, fund: Fund, user: str, reason: str) -> str:
    with staff_step(sessions, user, Department.FINANCE) as step:
        step.enter(find_region(step.session, region_code))
        return reopen_period_in(step.session, get_book(step.session, region_code, fund).id, user, reason).period


ADOPTED_BY = "db-upgrade"


def adopt_turn3_chart(sessions: sessionmaker) -> list[str]:
    """Bring books kept before RULES §7 (turn 3) onto its chart, once (run by ``db upgrade``; each
    voucher is keyed, so a second run posts nothing). Returns what it did, a line per book and step.

    1. Each book gets the accounts its region's chart now has (暂付款—月度预结金 took over the unused
       暂付款—预付金待收回 in the migration; 预付款项资金往来 and 其他收入 are added).
    2. Open pre-settlements move to their own detail account: Dr 暂付款—月度预结金 / Cr 暂付款—医保预付金.
    3. Settlement money held back (HB 五) was booked as an expense and a credit of 暂收款; it is no
       expense while held: Dr 暂收款 / Cr 社会保险待遇支出 (held money is recent). The register of held
       payments was filled by the migration from the runs that held, released and applied it.
    4. What the deposits paid out before (advances, and the settlements' nets, which the book then
       posted whole) is recorded as funded by the fund's main accounts: Dr the deposit / Cr
       预付款项资金往来, for its credit balance. The earlier years' postings stay as they were made.
    """
    from ..models import Campaign, Institution, Region
    from .positions import presettlements_owed
    from .rules import effective_profile

    done: list[str] = []
    today = clock.today()
    with sessions.begin() as session:
        for region in session.scalars(select(Region).order_by(Region.code)):
            last = session.scalar(select(func.max(Campaign.year)).where(Campaign.region_id == region.id))
            profile = effective_profile(session, region, last or today.year)
            books = {Fund(b.fund): b for b in open_region_books_in(session, region.code, region.name, profile)}
            codes = dict(session.execute(select(Institution.id, Institution.code)
                                         .where(Institution.region_id == region.id)).all())
            ids = {code: inst_id for inst_id, code in codes.items()}
            owed = presettlements_owed(session, region.id)
            for fund, book in books.items():
                def post(draft, key: str, what: str) -> int:
                    posted = post_in(session, book.id, draft, key, ADOPTED_BY)
                    if not posted.replayed:
                        done.append(f"{book.name}：{what}")
                    return posted.entry_id

                moved = reports.party_balances(session, book.id, Role.PRESETTLEMENT)
                for (inst_id, f), amount in sorted(owed.items()):
                    rest = amount - moved.get(codes[inst_id], ZERO)
                    if f == fund and rest > 0:
                        code = codes[inst_id]
                        post(EntryDraft(today, f"{code} 未扣回的月度预结金转入暂付款—月度预结金", "adopt", (
                            LineDraft(Role.PRESETTLEMENT, debit=rest, party=code),
                            LineDraft(Role.ADVANCE, credit=rest, party=code))),
                            f"adopt:presettlement:{book.id}:{code}:{rest:.2f}", f"{code} 月度预结金 {rest:,.2f} 元转入明细科目")
                for code, balance in sorted(reports.party_balances(session, book.id, Role.OVERPAID).items()):
                    if balance < 0 and code in ids:
                        held = -balance
                        post(EntryDraft(today, f"{code} 暂停拨付的结算款转入暂停拨付登记簿，不作支出", "adopt", (
                            LineDraft(Role.OVERPAID, debit=held, party=code),
                            LineDraft(Role.BENEFIT_EXPENSE, credit=held))),
                            f"adopt:held:{book.id}:{code}:{held:.2f}", f"{code} 暂停拨付 {held:,.2f} 元转入登记簿")
                for bank in (Role.EXPENDITURE_DEPOSIT, Role.FISCAL_SPECIAL_DEPOSIT):
                    short = -(reports.account_balance(session, book.id, bank) or ZERO)
                    if short > 0:
                        post(templates.funded(short, today, "adopt", "补记升级前已付款项的用款（由基金账拨入）", into=bank),
                             f"adopt:funding:{book.id}:{bank.value}:{short:.2f}",
                             f"补记{bank.value == 'fiscal_special_deposit' and '财政专户' or '支出户'}用款 {short:,.2f} 元")
    return done
