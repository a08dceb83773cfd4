"""The books as staff read them: reports per region and fund, and the nightly audit."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from accounting import reports
from accounting.chart import Role
from accounting.errors import Breach
from accounting.ledger import closed_through, find_book, get_book
from accounting.models import LedgerAccount, PeriodClosure
from accounting.verify import verify

from ..models import Institution, VerifiedHead
from ..policy.facts import Fund
from ..services.errors import NotFound
from ..services.unit_of_work import find_region
from .positions import return_path_breaches
from .reconciliation import unreconciled
from .security_cover import uncovered_advances


def trial_balance(sessions: sessionmaker, region_code: str, fund: Fund, from_period: str,
                  to_period: str) -> reports.TrialBalance:
    reports.check_range(from_period, to_period)
    with sessions() as session:
        return reports.trial_balance(session, get_book(session, region_code, fund).id, from_period, to_period)


def statement(sessions: sessionmaker, region_code: str, fund: Fund, institution_code: str, from_period: str,
              to_period: str) -> reports.AccountDetail:
    reports.check_range(from_period, to_period)
    with sessions() as session:
        region = find_region(session, region_code)
        if session.scalar(select(Institution.id).where(Institution.region_id == region.id,
                                                       Institution.code == institution_code)) is None:
            raise NotFound(f"{region.name} 没有定点医药机构 {institution_code}", "institution")
        return reports.institution_statement(session, get_book(session, region_code, fund).id, institution_code,
                                             from_period, to_period)


def account_detail(sessions: sessionmaker, region_code: str, fund: Fund, role: Role, from_period: str,
                   to_period: str, institution_code: str | None = None) -> reports.AccountDetail:
    reports.check_range(from_period, to_period)
    with sessions() as session:
        return reports.account_detail(session, get_book(session, region_code, fund).id, role, from_period, to_period,
                                      party=institution_code)


@dataclass(frozen=True)
class WriteOffs:
    book: str
    rows: tuple[reports.MemoRow, ...]


def writeoffs(sessions: sessionmaker, region_code: str, fund: Fund) -> WriteOffs:
    with sessions() as session:
        book = get_book(session, region_code, fund)
        return WriteOffs(book.name, reports.writeoff_register(session, book.id))


@dataclass(frozen=True)
class AccountChoice:
    role: Role
    code: str
    name: str


def accounts(sessions: sessionmaker, region_code: str, fund: Fund) -> tuple[AccountChoice, ...]:
    """The book's accounts, to choose a general-ledger detail by."""
    with sessions() as session:
        book = get_book(session, region_code, fund)
        return tuple(AccountChoice(a.role, a.code, a.name) for a in session.scalars(
            select(LedgerAccount).where(LedgerAccount.book_id == book.id).order_by(LedgerAccount.code)))


@dataclass(frozen=True)
class ClosureLine:
    period: str
    closed_by: str
    closed_at: dt.datetime
    reopened_by: str | None
    reopened_at: dt.datetime | None
    reopen_reason: str | None


@dataclass(frozen=True)
class BookClosing:
    fund: Fund
    book: str
    closed_through: str | None  # every period up to it is closed; nothing may be posted there
    history: tuple[ClosureLine, ...]


def closings(sessions: sessionmaker, region_code: str) -> tuple[BookClosing, ...]:
    """Each fund book's period closing: how far it is closed, and every closing and reopening."""
    with sessions() as session:
        out = []
        for fund in Fund:
            book = find_book(session, region_code, fund)
            if book is None:
                continue
            history = tuple(ClosureLine(c.period, c.closed_by, c.closed_at, c.reopened_by, c.reopened_at,
                                        c.reopen_reason)
                            for c in session.scalars(select(PeriodClosure).where(PeriodClosure.book_id == book.id)
                                                     .order_by(PeriodClosure.id.desc())))
            out.append(BookClosing(fund, book.name, closed_through(session, book.id), history))
        return tuple(out)


def audit(sessions: sessionmaker, on=None, jobs: int = 1,
          chain_since: dict[int, tuple[int, str]] | None = None) -> list[Breach]:
    """Every ledger invariant (``accounting.verify``, the hash chain by ``jobs`` processes, from each
    book's start or, with ``chain_since``, after the heads verified before) and the application's own:
    each institution's sub-ledger ties to the records that produced it (RULES §7), the advance positions
    tie to it (RULES §5–§7), and none holds more 暂付款—医保预付金 than the security valid for it (13§)."""
    with sessions() as session:
        return (verify(session, chain_since, jobs=jobs) + unreconciled(session) + return_path_breaches(session)
                + uncovered_advances(session, on))


def current_heads(sessions: sessionmaker) -> dict[int, tuple[int, str]]:
    """Each book's chain head now (what a check about to begin will have covered)."""
    from accounting.verify import chain_heads

    with sessions() as session:
        return chain_heads(session)


def verified_heads(sessions: sessionmaker) -> dict[int, tuple[int, str]]:
    """Each book's chain head as the last clean nightly check verified it."""
    with sessions() as session:
        return {book: (seq, digest) for book, seq, digest in session.execute(
            select(VerifiedHead.book_id, VerifiedHead.seq, VerifiedHead.hash))}


def anchors(sessions: sessionmaker) -> tuple[reports.Anchor, ...]:
    """The hash chain's head of every book at the end of every period (an operator's report)."""
    with sessions() as session:
        return reports.chain_anchors(session)
