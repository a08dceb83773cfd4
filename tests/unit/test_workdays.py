"""15§(三): 7 working days on the statutory calendar, with adjusted workdays, never guessed silently."""
import datetime as dt

from prepay_admin.policy.workdays import add_working_days
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
