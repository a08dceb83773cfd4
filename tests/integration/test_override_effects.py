"""A year's overrides (14§) change what they name — the signing window, a ratio — and each is kept with its
approval; who may record them, a calendar entry or a closing is checked (24§)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from prepay_admin.models import Determination, PolicyOverride
from prepay_admin.policy.facts import Fund
from prepay_admin.queries.policy import profile_in_force
from prepay_admin.services import books, determination, signing
from prepay_admin.services.errors import ServiceError
from prepay_admin.services.policy import record_override
from tests.cycle_helpers import REGION, YEAR, apply_all, listed, region_ready


def test_14_an_override_of_the_signing_window_moves_the_deadline(sessions):
    """Every step reads the year's overrides with its region: recorded twice, the later is in force; an
    override of another year changes nothing."""
    region_ready(sessions, institutions=10)
    record_override(sessions, REGION, YEAR, "calendar.signing_working_days", 10, "苏医保发〔2026〕0号", "caiwu1")
    record_override(sessions, REGION, YEAR, "calendar.signing_working_days", 3, "苏医保发〔2026〕1号", "caiwu1")
    record_override(sessions, REGION, YEAR + 1, "calendar.signing_working_days", 2, "苏医保发〔2027〕1号", "caiwu1")
    apply_all(sessions)
    determination.determine(sessions, REGION, YEAR, "jiesuan1")
    fixed = determination.fix_list(sessions, REGION, YEAR, "jiesuan1", dt.date(YEAR, 1, 5))  # a Monday
    assert (fixed.signing_working_days, fixed.signing_deadline) == (3, dt.date(YEAR, 1, 8))
    code, kind, value, ref = listed(sessions)[0]
    with pytest.raises(ServiceError) as err:
        signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 9), "jiesuan2")
    assert "3 个工作日" in err.value.message and "7 个工作日" not in err.value.message


def test_14_an_override_of_a_ratio_changes_the_determined_amounts(sessions):
    region_ready(sessions, institutions=10)
    apply_all(sessions, ["H32060000002"])  # grade A, 1.5 months
    before = determination.determine(sessions, REGION, YEAR, "jiesuan1").total
    record_override(sessions, REGION, YEAR, "amount.ratio_by_grade", {"A": "0.5", "B": "0.4"}, "苏医保发〔2026〕2号",
                    "caiwu1")
    after = determination.determine(sessions, REGION, YEAR, "jiesuan1").total
    assert 0 < after < before
    with sessions() as s:
        ratios = set(s.scalars(select(Determination.ratio).where(Determination.run == 2)))
    assert ratios == {D("0.5")}


def test_14_every_override_is_kept_with_its_approval_and_the_latest_is_in_force(sessions):
    region_ready(sessions, institutions=3)
    record_override(sessions, REGION, YEAR, "amount.minimum", "50000", "苏医保发〔2026〕3号", "caiwu1")
    record_override(sessions, REGION, YEAR, "amount.minimum", "80000", "苏医保发〔2026〕4号", "yibaoju1")
    view = profile_in_force(sessions, REGION, YEAR)
    assert view.profile.amount.minimum == D("80000")
    assert [(o.value, o.approval_ref, o.recorded_by, o.in_force) for o in view.history] == [
        ("50000", "苏医保发〔2026〕3号", "caiwu1", False), ("80000", "苏医保发〔2026〕4号", "yibaoju1", True)]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PolicyOverride)) == 2


def test_24_an_override_a_calendar_entry_and_a_period_closing_check_who_acts(sessions):
    from prepay_admin.services import calendar as cal

    region_ready(sessions, institutions=3)
    with pytest.raises(ServiceError) as err:
        record_override(sessions, REGION, YEAR, "amount.minimum", "50000", "苏医保发〔2026〕3号", "jiesuan1")
    assert err.value.field == "user"
    with pytest.raises(ServiceError):
        cal.set_day(sessions, dt.date(YEAR, 10, 10), False, "临时休息", "neishen1", REGION)
    with pytest.raises(ServiceError):
        books.close_period(sessions, REGION, Fund.EMPLOYEE, f"{YEAR}-01", "jiesuan1")
    with pytest.raises(ServiceError):
        books.close_period(sessions, REGION, Fund.EMPLOYEE, f"{YEAR}-01", "somebody")
    assert books.close_period(sessions, REGION, Fund.EMPLOYEE, f"{YEAR}-01", "caiwu1") == f"{YEAR}-01"
