"""15§(三): 7 working days on the statutory calendar, with adjusted workdays, never guessed silently."""
import datetime as dt

from prepay_admin.policy.workdays import add_days, add_working_days
from prepay_admin.services.calendar import library_workday

D = dt.date


def test_15_3_the_window_after_5_january_2026_ends_on_14_january():
    deadline = add_working_days(D(2026, 1, 5), 7, library_workday)
    assert (deadline.date, deadline.provisional) == (D(2026, 1, 14), False)


def test_15_3_the_window_skips_the_spring_festival_and_counts_its_adjusted_saturdays():
    # 2026: Spring Festival 15–23 February off; Saturdays 14 and 28 February are worked (调休)
    deadline = add_working_days(D(2026, 2, 13), 7, library_workday)
    assert deadline.date == D(2026, 3, 2)
    assert not deadline.provisional


def test_15_3_a_saturday_that_is_an_adjusted_workday_counts():
    assert library_workday(D(2026, 2, 14)) is True  # a Saturday
    assert add_working_days(D(2026, 2, 13), 1, library_workday).date == D(2026, 2, 14)


def test_15_3_a_year_the_calendar_does_not_know_gives_a_provisional_deadline():
    deadline = add_working_days(D(2027, 1, 5), 7, library_workday)
    assert deadline.provisional and deadline.unknown_years == (2027,)
    assert deadline.date == D(2027, 1, 14)  # counted Monday to Friday, and marked as such


def test_15_3_a_window_running_into_an_unknown_year_is_provisional_too():
    deadline = add_working_days(D(2026, 12, 28), 7, library_workday)
    assert deadline.provisional and deadline.unknown_years == (2027,)


def test_civil_code_203_a_period_ending_on_a_holiday_ends_on_the_next_working_day():
    assert add_days(D(2026, 4, 1), 30, library_workday).date == D(2026, 5, 6)  # 1 May: Labour Day until 5 May
    assert add_days(D(2026, 4, 2), 30, library_workday).date == D(2026, 5, 6)
    assert add_days(D(2026, 3, 2), 30, library_workday).date == D(2026, 4, 1)  # a Wednesday: itself
    assert add_days(D(2026, 4, 10), 30, library_workday).date == D(2026, 5, 11)  # Sunday 10 May
    assert add_days(D(2026, 4, 7), 30, library_workday).date == D(2026, 5, 7)  # a working day after the holiday


def test_civil_code_203_a_period_ending_in_a_year_the_calendar_does_not_know_is_provisional():
    deadline = add_days(D(2099, 5, 1), 30, lambda day: None)  # Sunday 31 May 2099 on the ordinary week
    assert (deadline.date, deadline.provisional, deadline.unknown_years) == (D(2099, 6, 1), True, (2099,))


def test_civil_code_203_a_calendar_without_working_days_is_refused_not_looped_over():
    import pytest

    with pytest.raises(ValueError, match="节假日日历"):
        add_days(D(2026, 4, 1), 30, lambda day: False)

