"""The scheduler's jobs: claimed once per period, caught up after downtime, safe on provisional deadlines."""
import datetime as dt

from sqlalchemy import func, select, update

from prepay_admin import scheduler
from prepay_admin.models import Campaign, Determination, JobRun, Notice
from prepay_admin.services import calendar as cal
from prepay_admin.services import deadlines
from tests.console import token_for
from tests.cycle_helpers import REGION, YEAR, listed_codes, listed_through_fixing, region_ready

JOB = {j.name: j for j in scheduler.JOBS}


def notices(sessions, kind=None):
    with sessions() as s:
        q = select(Notice.message)
        return s.scalars(q.where(Notice.kind == kind) if kind else q).all()


def test_reminders_are_written_once_per_institution_and_day(sessions):
    listed_through_fixing(sessions, institutions=30)
    assert deadlines.remind(sessions, dt.date(YEAR, 1, 12)) == len(listed_codes(sessions))
    assert deadlines.remind(sessions, dt.date(YEAR, 1, 12)) == 0
    assert all("2026-01-14 前" in m for m in notices(sessions, "reminder"))
    assert deadlines.remind(sessions, dt.date(YEAR, 1, 6)) == 0  # not yet within three days


def test_in_november_a_missing_holiday_calendar_for_next_year_is_warned_about(sessions):
    region_ready(sessions, institutions=3)
    assert deadlines.check_calendar(sessions, dt.date(2026, 10, 31)) is False
    assert deadlines.check_calendar(sessions, dt.date(2026, 11, 2)) is True  # the library stops at 2026
    assert "2027 年节假日安排尚未载入" in notices(sessions, "warning")[0]
    cal.mark_year_entered(sessions, 2027, "国办发明电〔2026〕X号", "jiesuan1")
    assert deadlines.check_calendar(sessions, dt.date(2026, 11, 3)) is False


def test_a_provisional_deadline_is_never_swept_but_staff_are_told(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    with sessions.begin() as s:
        s.execute(update(Campaign).values(signing_deadline_provisional=True))
    assert deadlines.sweep(sessions, dt.date(YEAR, 2, 1)).given_up == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Determination).where(Determination.state == "given_up")) == 0
    assert "暂定" in notices(sessions, "warning")[0] and rows


def test_the_bureaus_own_calendar_entries_override_the_library(sessions):
    region_ready(sessions, institutions=3)
    cal.set_day(sessions, dt.date(2026, 1, 7), False, "本地临时停诊日", "jiesuan1", REGION)
    with sessions() as s:
        assert cal.working_days_after(s, REGION, dt.date(2026, 1, 5), 7).date == dt.date(2026, 1, 15)


def test_an_entered_year_is_not_provisional(sessions):
    region_ready(sessions, institutions=3)
    with sessions() as s:
        assert cal.working_days_after(s, REGION, dt.date(2027, 1, 5), 7).provisional
    cal.mark_year_entered(sessions, 2027, "国办发明电〔2026〕X号", "jiesuan1")
    with sessions() as s:
        assert not cal.working_days_after(s, REGION, dt.date(2027, 1, 5), 7).provisional


def test_a_job_run_is_claimed_once_per_period(sessions):
    region_ready(sessions, institutions=3)
    day = dt.date(2026, 11, 5)
    assert scheduler.run_job(sessions, JOB["holiday_calendar_check"], day, "a") is True
    assert scheduler.run_job(sessions, JOB["holiday_calendar_check"], day, "b") is None
    with sessions() as s:
        run = s.scalar(select(JobRun))
    assert (run.claimed_by, run.finished_at is not None) == ("a", True)


def test_missed_days_are_caught_up_at_start(sessions):
    listed_through_fixing(sessions, institutions=20)
    scheduler.catch_up(sessions, dt.date(YEAR, 1, 16))
    with sessions() as s:
        periods = set(s.scalars(select(JobRun.period).where(JobRun.job == "deadline_sweep")))
        given_up = s.scalar(select(func.count()).select_from(Determination).where(Determination.state == "given_up"))
    assert periods == {(dt.date(YEAR, 1, 16) - dt.timedelta(days=d)).isoformat() for d in range(8)}
    assert given_up >= 1  # the sweep of the 15th, caught up, marked the institutions that never signed
    with sessions() as s:
        calendar_runs = s.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "holiday_calendar_check"))
    assert calendar_runs == 0  # not due in January


def test_the_bureau_edits_its_calendar_from_the_terminal(app, cli_runner, monkeypatch):
    region_ready(app.extensions["prepay_sessions"], institutions=2)
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "jiesuan1"))
    shown = cli_runner.invoke(args=["calendar", "show", "2026"])
    assert "2026 年：已知" in shown.output and "2026-02-14  调休上班" in shown.output
    assert "未知" in cli_runner.invoke(args=["calendar", "show", "2027"]).output
    assert cli_runner.invoke(args=["calendar", "set-day", "2027-02-08", "--holiday", "--note", "春节"]).exit_code == 0
    cli_runner.invoke(args=["calendar", "enter-year", "2027", "--source", "国办发明电〔2026〕X号"])
    shown = cli_runner.invoke(args=["calendar", "show", "2027"])
    assert "2027 年：已知" in shown.output and "2027-02-08  休息" in shown.output


def test_21_the_nightly_ledger_check_tells_staff_of_a_difference_once(sessions):
    import datetime as dt
    from decimal import Decimal as D

    from accounting import templates as t
    from accounting.ledger import get_book, post
    from prepay_admin.models import Notice
    from prepay_admin.services.demo import load_demo

    load_demo(sessions, institutions=4, seed=1, year=2026, years=1)
    day = dt.date(2026, 11, 6)
    assert scheduler.run_job(sessions, JOB["ledger_verify"], day, "a") == 0  # a played year: nothing to tell
    with sessions() as s:
        book = get_book(s, "320600", "employee").id
    post(sessions, book, t.advance_paid("H32060000002", D("50000"), dt.date(2026, 11, 2), "stray"), "stray", "财务甲")
    night = dt.date(2026, 11, 7)
    assert scheduler.run_job(sessions, JOB["ledger_verify"], night, "a") >= 1  # unexplained, and maybe above its cap
    assert scheduler.run_job(sessions, JOB["ledger_verify"], night, "b") is None  # claimed once
    with sessions() as s:
        notices = s.scalars(select(Notice).where(Notice.kind == "ledger_breach")).all()
    assert len(notices) == 1 and "H32060000002" in notices[0].message and "[sub_ledger_unreconciled]" in notices[0].message


def test_21_the_nightly_check_takes_the_chain_up_after_the_heads_it_verified(sessions, monkeypatch):
    """Issue 27: a night recomputes the hash chain only after the heads the last clean night verified (its
    work grows with the day's entries); Sundays and the 1st of the month recompute it whole."""
    from prepay_admin.models import VerifiedHead
    from prepay_admin.services.demo import load_demo

    load_demo(sessions, institutions=4, seed=1, year=2026, years=1)
    thursday = dt.date(2026, 11, 5)
    assert scheduler.run_job(sessions, JOB["ledger_verify"], thursday, "a") == 0
    with sessions() as s:
        heads = {h.book_id: (h.seq, h.hash) for h in s.scalars(select(VerifiedHead))}
    assert heads and all(seq > 0 for seq, _ in heads.values())

    seen = []
    real = scheduler.audit

    def audit(sessions_, day, jobs=1, chain_since=None):
        seen.append((day, chain_since))
        return real(sessions_, day, jobs=jobs, chain_since=chain_since)

    monkeypatch.setattr(scheduler, "audit", audit)
    assert scheduler.run_job(sessions, JOB["ledger_verify"], dt.date(2026, 11, 6), "a") == 0  # a Friday
    assert scheduler.run_job(sessions, JOB["ledger_verify"], dt.date(2026, 11, 8), "a") == 0  # a Sunday
    assert seen == [(dt.date(2026, 11, 6), heads), (dt.date(2026, 11, 8), None)]
