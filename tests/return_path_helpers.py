"""Checks every step of the return path must leave true, and a month's settlement file for tests."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import delete, select

from accounting import reports
from accounting.chart import Role
from accounting.ledger import get_book
from accounting.verify import verify
from prepay_admin.models import Institution, MonthlyPayout, Region
from prepay_admin.policy.facts import Fund
from prepay_admin.queries.positions import return_path_breaches

REGION = "320600"


def books_sound(sessions, region: str = REGION) -> None:
    """ledger verify finds nothing, the return path's invariants included (RULES §5–§7: each
    institution's positions add up to what it holds, offset first, confirmed payments as signed); each
    book's trial balance nets to zero."""
    with sessions() as s:
        assert verify(s) == []
        assert [b.message for b in return_path_breaches(s)] == []
        for fund in Fund:
            book = get_book(s, region, fund)
            tb = reports.trial_balance(s, book.id, "2000-01", "2100-12")
            assert sum((r.closing for r in tb.rows), Decimal(0)) == 0


def held(sessions, code: str, fund: Fund, region: str = REGION, role: Role = Role.ADVANCE) -> Decimal:
    """What the institution holds on a detail account of 暂付款 (RULES §7: the annual advance's by default)."""
    with sessions() as s:
        return reports.party_balances(s, get_book(s, region, fund).id, role).get(code, Decimal("0.00"))


def stopped_settling(sessions, code: str, after: dt.date, region: str = REGION) -> None:
    """The institution settles no more after ``after`` (transferred, deregistered): no settlement data
    of it comes for the months since."""
    with sessions.begin() as s:
        inst_id = s.scalar(select(Institution.id).join(Region, Region.id == Institution.region_id)
                           .where(Region.code == region, Institution.code == code))
        s.execute(delete(MonthlyPayout).where(MonthlyPayout.institution_id == inst_id, MonthlyPayout.month > after))


def settlement_file(sessions, month: dt.date, amounts: dict[str, Decimal] | None = None, default=Decimal("50000.00"),
                    region: str = REGION) -> None:
    """The month's settlement of every institution of the region (both funds), as an import would record it."""
    amounts = amounts or {}
    with sessions.begin() as s:
        rows = s.execute(select(Institution.id, Institution.code).join(Region, Region.id == Institution.region_id)
                         .where(Region.code == region)).all()
        for inst_id, code in rows:
            for fund in Fund:
                amount = amounts.get(code, default)
                s.add(MonthlyPayout(institution_id=inst_id, month=month, fund=fund, amount=amount,
                                    out_of_region=Decimal("0.00")))
