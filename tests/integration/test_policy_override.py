"""14§: a per-year override is recorded with its approval and changes the evaluation of that year only."""

import pytest
from sqlalchemy import func, select

from prepay_admin.models import PolicyOverride
from prepay_admin.queries.evaluation import evaluate_region
from prepay_admin.services.demo import load_demo
from prepay_admin.services.errors import ServiceError
from prepay_admin.services.policy import record_override


def test_14_an_override_applies_to_its_year_and_is_shown_with_its_approval(sessions):
    load_demo(sessions, institutions=30, seed=2, year=2026)
    before = evaluate_region(sessions, "320600", 2026)
    record_override(sessions, "320600", 2026, "amount.ratio_by_grade", {"A": "1", "B": "0.8"}, "苏医保发〔2026〕9号", "caiwu1")
    after = evaluate_region(sessions, "320600", 2026)
    assert after.profile.overrides == ('amount.ratio_by_grade={"A": "1", "B": "0.8"}（批准文号：苏医保发〔2026〕9号）',)
    assert after.evaluation.total_for() > before.evaluation.total_for()
    with sessions() as s:
        row = s.scalar(select(PolicyOverride))
        assert (row.recorded_by, row.approval_ref) == ("caiwu1", "苏医保发〔2026〕9号")


def test_14_an_invalid_override_is_refused_and_nothing_is_written(sessions):
    load_demo(sessions, institutions=5, seed=2, year=2026)
    with pytest.raises(ServiceError) as err:
        record_override(sessions, "320600", 2026, "amount.minimum", "-5", "x", "caiwu1")
    assert err.value.field == "parameter" and err.value.message.startswith("amount.minimum：") and "不能小于" in err.value.message
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PolicyOverride)) == 0
