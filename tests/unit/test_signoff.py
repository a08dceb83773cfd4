"""24§(五), RULES §4 (turn 3): the levels of the review are profile data, one pure mechanism for the
batch and the pre-settlement: in order, each department its own level, nobody twice."""
import pytest

from prepay_admin.policy.departments import Department as D
from prepay_admin.policy.signoff import DEFAULT_BATCH, Chain, Level, chain_problems
from prepay_admin.profiles import ProfileError, load_profile, profile_from_data

NANTONG = load_profile("nantong-2025").signoff.batch


def test_24_nantongs_chain_has_the_finance_departments_declaration_after_the_preparation():
    assert [level.department for level in NANTONG.levels] == [
        D.FUND_SETTLEMENT, D.FINANCE, D.INTERNAL_AUDIT, D.ADMINISTRATION, D.FINANCE_BUREAU]
    assert NANTONG.levels[1].title == "财务管理部门审核申报"


def test_24_5_the_levels_sign_in_order_and_none_is_skipped():
    assert NANTONG.next([]).department == D.FUND_SETTLEMENT
    assert NANTONG.next(["prepared"]).department == D.FINANCE
    assert NANTONG.next(["prepared", "reviewed"]) is None  # not this chain's beginning: skipped a level
    every = [level.name for level in NANTONG.levels]
    assert NANTONG.next(every) is None and NANTONG.complete(every) and NANTONG.missing(every) == ()
    assert NANTONG.missing(["prepared"])[0] == "财务管理部门审核申报"


def test_24_5_only_the_levels_department_signs_it():
    message, field = NANTONG.refusal([("prepared", "jiesuan1")], D.INTERNAL_AUDIT, "neishen1", "赵内审")
    assert field == "user" and "财务管理部门" in message and "审核申报" in message


def test_24_5_nobody_signs_two_levels_so_the_maker_never_approves():
    chain = Chain((Level(D.FUND_SETTLEMENT, "编制"), Level(D.FINANCE, "审核")))
    assert chain.refusal([], D.FUND_SETTLEMENT, "a", "甲") is None
    # the same person moved to the finance department still may not sign the second level
    message, field = chain.refusal([("prepared", "a")], D.FINANCE, "a", "甲")
    assert field == "user" and "同一人不能在两个环节签字" in message


def test_a_batch_in_review_when_the_chain_changed_is_returned_before_it_is_signed_again():
    message, field = NANTONG.refusal([("prepared", "a"), ("reviewed", "b")], D.FINANCE, "c", "丙")
    assert field == "state" and "退回" in message


@pytest.mark.parametrize("levels, fragment", [
    ([Level(D.FUND_SETTLEMENT, "编制")], "至少须有两个环节"),
    ([Level(D.FUND_SETTLEMENT, "编制"), Level(D.FUND_SETTLEMENT, "复核")], "同一部门"),
    ([Level(D.INTERNAL_AUDIT, "审核"), Level(D.FUND_SETTLEMENT, "编制")], "第一个环节须为基金结算部门"),
    ([Level(D.FUND_SETTLEMENT, "编制"), Level(D.INSPECTION, "稽核")], "签字部门只能是"),
])
def test_a_chain_that_breaks_a_rule_of_24_is_refused(levels, fragment):
    assert any(fragment in p for p in chain_problems(levels, ends_with_confirmation=False))


def test_24_5_a_payments_chain_must_end_with_the_administration_and_the_finance_bureau():
    levels = [Level(D.FUND_SETTLEMENT, "编制"), Level(D.INTERNAL_AUDIT, "审核")]
    assert any("最后两个环节" in p for p in chain_problems(levels, ends_with_confirmation=True))
    assert chain_problems(DEFAULT_BATCH.levels, ends_with_confirmation=True) == []


def test_a_profile_naming_a_bad_chain_is_refused_naming_the_parameter():
    import tomllib
    from importlib import resources

    raw = tomllib.loads(resources.files("prepay_admin.profiles").joinpath("nantong-2025.toml").read_text("utf-8"))
    raw["signoff"]["batch"] = raw["signoff"]["batch"][:-1]  # no finance bureau
    with pytest.raises(ProfileError) as err:
        profile_from_data(raw)
    assert any(path.startswith("signoff") and "财政部门" in message for path, message in err.value.problems)


def test_a_profile_stored_before_the_chain_was_a_parameter_runs_on_the_old_four_levels():
    import tomllib
    from importlib import resources

    raw = tomllib.loads(resources.files("prepay_admin.profiles").joinpath("nantong-2025.toml").read_text("utf-8"))
    del raw["signoff"]
    assert profile_from_data(raw).signoff.batch == DEFAULT_BATCH


def test_24_4_every_chain_has_the_internal_audit_and_the_bureaus_own_stays_in_the_bureau():
    assert any("内审" in p for p in chain_problems(
        [Level(D.FUND_SETTLEMENT, "编制"), Level(D.ADMINISTRATION, "确认"), Level(D.FINANCE_BUREAU, "确认")],
        ends_with_confirmation=True))
    outside = chain_problems([Level(D.FUND_SETTLEMENT, "编制"), Level(D.INTERNAL_AUDIT, "审核"),
                              Level(D.FINANCE_BUREAU, "确认")], ends_with_confirmation=False)
    assert any("26§" in p for p in outside)
    payer_last = chain_problems([Level(D.FUND_SETTLEMENT, "编制"), Level(D.INTERNAL_AUDIT, "审核"),
                                 Level(D.FINANCE, "审批")], ends_with_confirmation=False)
    assert any("财务管理部门" in p for p in payer_last)


def test_14_a_years_override_cannot_change_who_signs():
    from prepay_admin.profiles import Override

    with pytest.raises(ProfileError) as err:
        load_profile("nantong-2025", [Override("signoff.batch", [
            {"department": "fund_settlement", "title": "编制"}, {"department": "internal_audit", "title": "审核"},
            {"department": "administration", "title": "确认"}, {"department": "finance_bureau", "title": "确认"}],
            "某医保〔2026〕1号")])
    assert "新增政策参数方案版本" in err.value.problems[0][1]
