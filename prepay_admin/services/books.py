"""A region's ledger books: one per fund, opened with the chart of the year's effective profile,
and the ledger's period closing, done by the finance department (24§(一))."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from accounting.chart import Chart
from accounting.ledger import close_period_in, get_book, open_book_in, reopen_period_in
from accounting.models import Book
from accounting.verify import chain_heads

from .. import clock
from ..models import Department, VerifiedHead
from ..policy.facts import Fund
from ..policy.profile import PolicyProfile
from ..policy.reasons import FUND_CN
from .errors import ServiceError
from .unit_of_work import find_region, staff_step


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
