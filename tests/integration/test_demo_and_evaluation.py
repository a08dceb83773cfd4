"""The demo region loads idempotently, and evaluating it from the database equals the pure engine."""
import datetime as dt
from decimal import Decimal as D

from sqlalchemy import func, select

from prepay_admin.demo.generator import SCENARIOS, plan_region
from prepay_admin.models import Institution, MonthlyPayout, Region, Staff
from prepay_admin.policy.engine import evaluate
from prepay_admin.policy.facts import InstitutionFacts, Kind, Payout
from prepay_admin.profiles import load_profile
from prepay_admin.queries.evaluation import evaluate_region
from prepay_admin.queries.ledger import audit
from prepay_admin.services.demo import load_demo

YEAR = 2026


def test_loading_the_demo_twice_does_not_duplicate_it(sessions):
    first = load_demo(sessions, institutions=40, seed=7, year=YEAR)
    second = load_demo(sessions, institutions=40, seed=7, year=YEAR)
    assert first.created and not second.created
    assert audit(sessions, on=dt.date(YEAR, 1, 31)) == []  # the played year: nobody above its security
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Region)) == 1
        assert s.scalar(select(func.count()).select_from(Institution)) == 40
        assert s.scalar(select(func.count()).select_from(MonthlyPayout)) == first.payouts == 40 * 36 * 2


def test_demo_load_without_the_cycle_still_creates_the_staff_to_walk_it_by_hand(sessions):
    load_demo(sessions, institutions=3, seed=1, year=YEAR, play=False)
    with sessions() as s:
        assert {"jiesuan1", "caiwu1", "neishen1", "yibaoju1", "caizhengju1"} <= set(s.scalars(select(Staff.username)))


def test_the_demo_shows_every_reason_the_rules_can_give(sessions):
    load_demo(sessions, institutions=len(SCENARIOS) + 20, seed=1, year=YEAR)
    ev = evaluate_region(sessions, "320600", YEAR).evaluation
    codes = {r.code for i in ev.institutions for r in (*i.reasons, *i.notes)} | {
        r.code for i in ev.institutions for a in i.advances for r in a.reasons}
    # security_kind_not_allowed is a refusal at registration now (RULES §2): see test_cycle
    assert codes >= {
        "kind_not_eligible", "level_below_minimum", "settlement_under_one_year", "assessment_below_required",
        "score_below_minimum", "credit_grade_not_allowed", "security_pending",
        "finances_unsound", "asset_seizure", "unfulfilled_judgment", "enforcement_debtor", "reform_noncooperation",
        "traceability_incomplete", "penalized_last_12_months", "fraud_referral", "barred",
        "amount_below_minimum", "capped_by_security", "capped_below_minimum",
    }
    assert any(i.months == D("2.0") for i in ev.institutions)  # the 13§ resident bonus
    assert ev.total_for() > 0 and all(g.open for g in ev.funds)


def test_evaluating_from_the_database_equals_the_engine_on_the_generated_facts(sessions):
    load_demo(sessions, institutions=60, seed=3, year=YEAR, play=False)  # no security registered yet
    from_db = evaluate_region(sessions, "320600", YEAR)
    profile = load_profile("nantong-2025")
    plans = {p.code: p for p in plan_region(3, 60, YEAR, "3206")}
    direct = []
    for fact in from_db.facts.institutions:
        p = plans[fact.code]
        direct.append(InstitutionFacts(
            code=p.code, name=p.name, kind=p.kind, level=p.level, state_run=p.state_run,
            settled_since=p.settled_since, assessment=p.assessment, performance_score=p.performance_score,
            credit_grade=p.credit_grade, flags=p.flags, bar=p.bar,
            payouts=tuple(Payout(r.month, r.fund, r.amount, r.out_of_region) for r in p.payouts),
            security=None,
        ))
    expected = evaluate(from_db.facts.__class__(YEAR, "320600", "x", from_db.facts.funds, tuple(direct)), profile)
    assert from_db.evaluation.institutions == expected.institutions


def test_the_demo_is_deterministic_by_seed():
    assert list(plan_region(5, 50, YEAR, "3206")) == list(plan_region(5, 50, YEAR, "3206"))
    assert [p.payouts[0].amount for p in plan_region(5, 5, YEAR, "3206")] != [
        p.payouts[0].amount for p in plan_region(6, 5, YEAR, "3206")]


def test_the_generated_region_has_every_kind_level_and_grade():
    plans = list(plan_region(11, 400, YEAR, "3206"))
    assert {p.kind for p in plans} == set(Kind)
    assert {p.level for p in plans if p.kind == Kind.HOSPITAL} == {0, 1, 2, 3}
    assert {p.credit_grade.value for p in plans} == {"A", "B", "C", "D"}
    assert {p.assessment.value for p in plans} == {"excellent", "good", "pass", "fail"}


def test_a_second_demo_region_plays_its_own_institutions_only(sessions):
    first = load_demo(sessions, institutions=30, seed=3, year=YEAR)
    second = load_demo(sessions, institutions=5, seed=4, year=YEAR, profile="hebei-2024", region_code="130100",
                       region_name="石家庄市（演示）")
    assert second.cycle.applications <= 5 and second.cycle.paid <= 2 * 5
    assert first.cycle.paid > 0
    assert audit(sessions, on=dt.date(YEAR, 3, 31)) == []


def test_15_the_runs_size_and_total_kept_with_the_campaign_are_what_the_run_holds(sessions):
    """The determination list shows the kept figures unfiltered and counts live when filtered: they agree."""
    from prepay_admin.queries.overview import DeterminationFilter, determination_page
    from prepay_admin.services import determination
    from prepay_admin.services.errors import ServiceError

    load_demo(sessions, institutions=60, seed=2026, year=2026, years=1)
    unfiltered = determination_page(sessions, "320600", 2026, 1, 20)
    states = [DeterminationFilter(state=s) for s in ("paid", "given_up", "not_listed", "signed", "listed")]
    parts = [determination_page(sessions, "320600", 2026, 1, 20, f) for f in states]
    every = determination_page(sessions, "320600", 2026, 1, 0, DeterminationFilter(search="32"))
    assert unfiltered.count == sum(p.count for p in parts) == every.count == len(every.rows) > 20
    assert unfiltered.determined_total == sum(p.determined_total for p in parts) == every.determined_total > 0
    assert unfiltered.computed_total == sum(p.computed_total for p in parts) == every.computed_total
    assert unfiltered.computed_total == sum(a.amount for r in every.rows for a in r.advances)
    # 13§, issue 27 finding 10: the headline total is after the security caps, as advanced
    assert unfiltered.determined_total == sum(a.final_amount if a.final_amount is not None else a.amount
                                              for r in every.rows for a in r.advances)
    assert unfiltered.determined_total < unfiltered.computed_total  # the demo has institutions capped
    eligible = determination_page(sessions, "320600", 2026, 1, 20, DeterminationFilter(eligible=True))
    assert 0 < eligible.count < unfiltered.count
    try:  # the list is fixed: no new run, the kept figures stay the run's
        determination.determine(sessions, "320600", 2026, "jiesuan1")
        raise AssertionError("a run after the list was fixed")
    except ServiceError:
        pass
    assert determination_page(sessions, "320600", 2026, 1, 20).count == unfiltered.count


def test_14_the_what_if_is_evaluated_once_per_version_of_its_data_and_again_after_an_override(sessions):
    from prepay_admin.queries.evaluation import whatif_page
    from prepay_admin.services.policy import record_override

    load_demo(sessions, institutions=30, seed=7, year=YEAR, play=False)
    first = whatif_page(sessions, "320600", YEAR, 1, 10)
    second = whatif_page(sessions, "320600", YEAR, 3, 10)
    assert second.whatif is first.whatif and second.page == 3 and len(second.rows) == 10
    assert whatif_page(sessions, "320600", YEAR, 99, 10).page == 3  # past the end: the last page
    before = first.whatif.total
    record_override(sessions, "320600", YEAR, "amount.ratio_by_grade", {"A": "0.5", "B": "0.4"}, "苏医保发〔2026〕9号",
                    "caiwu1")
    after = whatif_page(sessions, "320600", YEAR, 1, 10)
    assert after.whatif is not first.whatif and after.whatif.total < before
    # the page equals the engine run afresh over the data as it stands
    fresh = evaluate_region(sessions, "320600", YEAR).evaluation
    assert after.whatif.total == fresh.total_for() and after.rows == tuple(fresh.institutions[:10])
