"""Money is stored as integer fen and comes back as the same Decimal."""
from decimal import Decimal as D

import pytest
from sqlalchemy import select, text

from prepay_admin.models import FundPositionRecord, Region
from prepay_admin.policy.facts import Fund


def test_money_round_trips_exactly_and_is_stored_as_fen(sessions):
    big = D("123456789012345.67")  # beyond a double's exact range
    with sessions.begin() as s:
        s.add(Region(code="1", name="r", profile="nantong-2025"))
        s.flush()
        s.add(FundPositionRecord(region_id=1, year=2026, fund=Fund.EMPLOYEE, cumulative_surplus=big,
                                 monthly_expenditure=D("0.01"), last_year_current_balance=D("-5.10"),
                                 projected_current_balance=D("0")))
    with sessions() as s:
        row = s.scalar(select(FundPositionRecord))
        assert (row.cumulative_surplus, row.monthly_expenditure, row.last_year_current_balance) == (
            big, D("0.01"), D("-5.10"))
        raw = s.execute(text("select cumulative_surplus, last_year_current_balance from fund_position")).one()
        assert tuple(int(x) for x in raw) == (12345678901234567, -510)


def test_a_float_or_a_third_decimal_place_is_refused_before_writing(sessions):
    for bad in (0.1, D("0.001")):
        with pytest.raises(Exception) as err, sessions.begin() as s:
            s.add(Region(code="1", name="r", profile="nantong-2025"))
            s.flush()
            s.add(FundPositionRecord(region_id=1, year=2026, fund=Fund.EMPLOYEE, cumulative_surplus=bad,
                                     monthly_expenditure=D("1"), last_year_current_balance=D("0"),
                                     projected_current_balance=D("0")))
        assert "Decimal" in str(err.value) or "decimal places" in str(err.value)
    with sessions() as s:
        assert s.scalar(select(Region)) is None
