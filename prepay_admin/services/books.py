"""A region's ledger books: one per fund, opened with the chart of its policy profile."""
from __future__ import annotations

from accounting.chart import Chart
from accounting.ledger import open_book_in
from accounting.models import Book
from sqlalchemy.orm import Session

from ..policy.facts import Fund
from ..policy.profile import PolicyProfile
from ..policy.reasons import FUND_CN
from ..profiles import load_profile
from .facts import get_region


def chart_of(profile: PolicyProfile) -> Chart:
    return Chart.from_mapping({role: (a.code, a.name) for role, a in profile.accounts.items()})


def open_region_books_in(session: Session, region_code: str, fiscal_special_allowed: bool = True) -> list[Book]:
    """Open (or find) the employee and resident books of a region; idempotent."""
    region = get_region(session, region_code)
    chart = chart_of(load_profile(region.profile))
    return [
        open_book_in(session, region.code, fund, f"{region.name}{FUND_CN[fund]}", chart, fiscal_special_allowed)
        for fund in Fund
    ]
