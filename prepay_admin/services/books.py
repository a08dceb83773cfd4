"""A region's ledger books: one per fund, opened with the chart of the year's effective profile,
and the ledger's period closing, done by the finance department (24§(一))."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from decimal import Decimal

from sqlalchemy import select

from accounting import reports, templates
from accounting.chart import Chart, Role
from accounting.entries import EntryDraft, LineDraft
from accounting.ledger import close_period_in, get_book, open_book_in, post_in, reopen_period_in
from accounting.models import Book, JournalEntry
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


def opening_key(book_id: int) -> str:
    return f"opening:{book_id}"


def open_balance_in(session: Session, book: Book, amount: Decimal, year: int, on: dt.date, user: str) -> bool:
    """RULES §7 (turn 3): the book's opening balance, once: the fund's cumulative surplus at the end of
    ``year − 1`` (9§ figures) in the special account (Dr 财政专户存款 / Cr 基金结余). False when the
    book was opened already or there is nothing to open with."""
    key = opening_key(book.id)
    if amount <= 0 or session.scalar(select(JournalEntry.id).where(JournalEntry.book_id == book.id,
                                                                    JournalEntry.idempotency_key == key)):
        return False
    into = Role.FISCAL_SPECIAL_DEPOSIT if book.fiscal_special_allowed else Role.EXPENDITURE_DEPOSIT
    post_in(session, book.id, templates.opening_balance(
        amount, on, key, f"建账：{year - 1} 年末基金累计结余（{year} 年度基金数据，9§）", into=into), key, user)
    return True


def fund_payment_in(session: Session, book_id: int, amount: Decimal, on: dt.date, key: str, user: str,
                    paid_from: Role = Role.EXPENDITURE_DEPOSIT) -> None:
    """24§(五), RULES §7 (turn 3): what the expenditure account pays out (``key`` names the payment) is
    first transferred into it from the special account, so the account never runs a credit balance. A
    retried payment retries the same transfer (its key is the payment's). A book without a special
    account pays from the expenditure account's own opening balance."""
    book = session.get(Book, book_id)
    if amount <= 0 or paid_from != Role.EXPENDITURE_DEPOSIT or not book.fiscal_special_allowed:
        return
    post_in(session, book_id, templates.funded(amount, on, f"{key}:funding"), f"{key}:funding", user)


def remember_verified_heads(sessions: sessionmaker, day: dt.date) -> None:
    """After a clean nightly check: each book's chain head as verified, for the next night to start from."""
    with sessions.begin() as session:
        for book_id, (seq, digest) in chain_heads(session).items():
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
    entry is keyed, so a second run posts nothing). Returns what it did, a line per book and step.

    1. Each book gets the accounts its region's chart now has (暂付款—月度预结金 took over the unused
       暂付款—预付金待收回 in the migration; 基金结余 and 其他收入 are added).
    2. Open pre-settlements move to their own detail account: Dr 暂付款—月度预结金 / Cr 暂付款—医保预付金.
    3. Settlement money held back (HB 五) was booked as an expense and a credit of 暂收款; it is no
       expense while held: Dr 暂收款 / Cr 社会保险待遇支出, the amounts carried into the register.
    4. Settlements posted their whole payable and net; the book now keeps only what touches the
       prepayment accounts: the nets (beyond held money released) come out, Dr 支出户存款 /
       Cr 社会保险待遇支出 (or 财政专户存款).
    5. The book opens with the fund's cumulative surplus of its first year (9§ figures), and the
       expenditure account is funded for what it paid out.
    """
    from ..models import Campaign, FundGateRecord, HeldPayment, Institution, Region, SettlementLine
    from .positions import presettlements_owed
    from .rules import effective_profile

    done: list[str] = []
    today = clock.today()
    with sessions.begin() as session:
        for region in session.scalars(select(Region).order_by(Region.code)):
            first = session.execute(select(Campaign.year, Campaign.id).where(Campaign.region_id == region.id)
                                    .order_by(Campaign.year.desc()).limit(1)).first()
            profile = effective_profile(session, region, first.year if first else today.year)
            books = {Fund(b.fund): b for b in open_region_books_in(session, region.code, region.name, profile)}
            codes = dict(session.execute(select(Institution.id, Institution.code)
                                         .where(Institution.region_id == region.id)).all())
            ids = {code: inst_id for inst_id, code in codes.items()}
            owed = presettlements_owed(session, region.id)
            for fund, book in books.items():
                def post(draft, key: str, what: str) -> None:
                    post_in(session, book.id, draft, key, ADOPTED_BY)
                    done.append(f"{book.name}：{what}")

                moved = reports.party_balances(session, book.id, Role.PRESETTLEMENT)
                for (inst_id, f), amount in sorted(owed.items()):
                    rest = amount - moved.get(codes[inst_id], ZERO)
                    if f == fund and rest > 0:
                        code = codes[inst_id]
                        post(EntryDraft(today, f"{code} 未扣回的月度预结金转入暂付款—月度预结金", "adopt", (
                            LineDraft(Role.PRESETTLEMENT, debit=rest, party=code),
                            LineDraft(Role.ADVANCE, credit=rest, party=code))),
                            f"adopt:presettlement:{book.id}:{code}", f"{code} 月度预结金 {rest:,.2f} 元转入明细科目")
                for code, balance in sorted(reports.party_balances(session, book.id, Role.OVERPAID).items()):
                    if balance < 0 and code in ids:
                        held = -balance
                        key = f"adopt:held:{book.id}:{code}"
                        post(EntryDraft(today, f"{code} 暂停拨付的结算款转入暂停拨付登记簿，不作支出", "adopt", (
                            LineDraft(Role.OVERPAID, debit=held, party=code),
                            LineDraft(Role.BENEFIT_EXPENSE, credit=held))), key, f"{code} 暂停拨付 {held:,.2f} 元转入登记簿")
                        session.add(HeldPayment(region_id=region.id, institution_id=ids[code], fund=fund, kind="carried",
                                                amount=held, on=today, ref="升级前暂收款余额", recorded_by=ADOPTED_BY))
                key = f"adopt:settlement:{book.id}"
                if not _posted(session, book.id, key):
                    nets = _settlement_bank_credits(session, book.id, SettlementLine)
                    for bank, amount in nets.items():
                        if amount > 0:
                            post(EntryDraft(today, "结算款净额由医保结算系统核算，本账套只记与预付款项有关的部分", "adopt", (
                                LineDraft(bank, debit=amount), LineDraft(Role.BENEFIT_EXPENSE, credit=amount))),
                                f"{key}:{bank.value}", f"冲回已记的结算净额 {amount:,.2f} 元")
                gate = session.execute(
                    select(Campaign.year, FundGateRecord.cumulative_surplus)
                    .join(FundGateRecord, FundGateRecord.campaign_id == Campaign.id)
                    .where(Campaign.region_id == region.id, FundGateRecord.fund == fund)
                    .order_by(Campaign.year).limit(1)).first()
                if gate is not None and open_balance_in(session, book, gate.cumulative_surplus, gate.year, today,
                                                        ADOPTED_BY):
                    done.append(f"{book.name}：建账，{gate.year - 1} 年末基金累计结余 {gate.cumulative_surplus:,.2f} 元")
                short = -reports.account_balance(session, book.id, Role.EXPENDITURE_DEPOSIT)
                if short > 0 and book.fiscal_special_allowed:
                    post(templates.funded(short, today, "adopt", "财政专户拨入支出户（补记升级前已拨付款项的用款）"),
                         f"adopt:funding:{book.id}:{today:%Y%m%d}", f"补记用款 {short:,.2f} 元")
    return done


def _posted(session: Session, book_id: int, key_prefix: str) -> bool:
    return session.scalar(select(JournalEntry.id).where(
        JournalEntry.book_id == book_id, JournalEntry.idempotency_key.like(f"{key_prefix}%")).limit(1)) is not None


def _settlement_bank_credits(session: Session, book_id: int, line_model) -> dict[Role, Decimal]:
    """What settlement vouchers credited each paying account beyond held money released (RULES §7 turn
    3 posts only that), per account."""
    from accounting.models import JournalLine, LedgerAccount

    from ..db import money_sum

    entries = select(line_model.ledger_entry_id).where(line_model.ledger_entry_id.is_not(None))
    credited = dict(session.execute(
        select(LedgerAccount.role, money_sum(JournalLine.credit - JournalLine.debit))
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.book_id == book_id, JournalLine.entry_id.in_(entries),
               LedgerAccount.role.in_((Role.EXPENDITURE_DEPOSIT, Role.FISCAL_SPECIAL_DEPOSIT)))
        .group_by(LedgerAccount.role)).all())
    released = session.scalar(
        select(money_sum(line_model.released)).join(JournalEntry, JournalEntry.id == line_model.ledger_entry_id)
        .where(JournalEntry.book_id == book_id))
    out = {Role(role): amount for role, amount in credited.items()}
    if Role.EXPENDITURE_DEPOSIT in out:
        out[Role.EXPENDITURE_DEPOSIT] -= released
    return out
