"""Policy profiles are data, validated on load; per-year overrides need an approval reference (14§)."""
from decimal import Decimal as D

import pytest

from prepay_admin.policy.facts import CreditGrade
from prepay_admin.profiles import Override, ProfileError, load_profile, packaged_texts, profile_from_data


def test_both_reference_profiles_load_and_nantong_is_the_default():
    assert {"nantong-2025", "hebei-2024"} <= set(packaged_texts())
    assert load_profile().name == "nantong-2025"


def test_an_unknown_profile_is_refused_naming_the_choices():
    with pytest.raises(ProfileError) as err:
        load_profile("beijing-2030")
    assert "nantong-2025" in err.value.problems[0][1]


def test_14_an_override_changes_one_parameter_and_is_recorded_with_its_approval():
    profile = load_profile("nantong-2025", [Override("amount.minimum", "50000", "苏医保发〔2026〕1号")])
    assert profile.amount.minimum == D("50000")
    assert profile.overrides == ('amount.minimum="50000"（批准文号：苏医保发〔2026〕1号）',)


def test_14_an_override_can_widen_the_allowed_grades_when_it_gives_them_a_ratio():
    with pytest.raises(ProfileError) as err:
        load_profile("nantong-2025", [Override("eligibility.grades_allowed", ["A", "B", "C"], "x")])
    assert err.value.problems == [("amount", "允许的信用等级 ['C'] 没有预付比例")]
    profile = load_profile("nantong-2025", [
        Override("eligibility.grades_allowed", ["A", "B", "C"], "x"),
        Override("amount.ratio_by_grade", {"A": "0.9", "B": "0.8", "C": "0.5"}, "x"),
    ])
    assert profile.amount.ratio_by_grade[CreditGrade.C] == D("0.5")


@pytest.mark.parametrize(
    "override, path, fragment",
    [
        (Override("amount.minimum", 50000.5, "x"), "amount.minimum", "浮点数"),
        (Override("amount.minimum", "-1", "x"), "amount.minimum", "不能小于"),
        (Override("amount.nonsense", "1", "x"), "amount.nonsense", "没有这个参数"),
        (Override("minimum", "1", "x"), "minimum", "节.参数"),
        (Override("amount.minimum", "1", " "), "amount.minimum", "批准文号"),
        (Override("amount.rounding_mode", "ceiling", "x"), "amount.rounding_mode", "不在可选值之内"),
        (Override("funds.refuse_on_last_year_deficit", "yes", "x"), "funds.refuse_on_last_year_deficit", "true 或 false"),
        (Override("amount.months_by_score", [{"min_score": "90", "months": "1.5"}, {"min_score": "80", "months": "1"}], "x"),
         "amount.months_by_score", "递增"),
    ],
)
def test_a_bad_parameter_is_refused_naming_it(override, path, fragment):
    with pytest.raises(ProfileError) as err:
        load_profile("nantong-2025", [override])
    assert any(p == path and fragment in m for p, m in err.value.problems), err.value.problems


def test_a_profile_missing_an_article_for_a_reason_is_refused():
    import tomllib
    from importlib import resources

    raw = tomllib.loads(resources.files("prepay_admin.profiles").joinpath("nantong-2025.toml").read_text("utf-8"))
    del raw["articles"]["barred"]
    with pytest.raises(ProfileError) as err:
        profile_from_data(raw)
    assert "barred" in err.value.problems[0][1]


def test_14_a_validated_profile_is_reused_for_the_same_overrides_and_never_for_others():
    plain = load_profile("nantong-2025")
    assert load_profile("nantong-2025") is plain  # every use case resolves its rules: validated once
    lowered = load_profile("nantong-2025", [Override("amount.minimum", "50000", "苏医保发〔2026〕1号")])
    assert lowered is not plain and lowered.amount.minimum == D("50000") and plain.amount.minimum != D("50000")
    other_ref = load_profile("nantong-2025", [Override("amount.minimum", "50000", "苏医保发〔2026〕2号")])
    assert other_ref is not lowered and other_ref.overrides != lowered.overrides
    for _ in range(2):  # a bad override is refused every time, never kept
        with pytest.raises(ProfileError):
            load_profile("nantong-2025", [Override("amount.minimum", "-1", "x")])


def test_14_every_parameter_of_the_schema_is_documented_with_its_article():
    """docs/policy-profiles.md states each parameter a profile holds: a new one cannot be added silently."""
    from pathlib import Path

    from marshmallow import fields

    from prepay_admin.profiles import _ProfileSchema

    doc = (Path(__file__).parents[2] / "docs/policy-profiles.md").read_text(encoding="utf-8")
    paths = []
    for key, field in _ProfileSchema().fields.items():
        if isinstance(field, fields.Nested) and key not in ("own_defaults",):
            paths += [f"{key}.{inner}" for inner in field.schema.fields]
        else:
            paths.append(key)
    missing = [p for p in paths if f"`{p}`" not in doc and f"`{p}`, " not in doc and f"`[{p}]`" not in doc]
    assert missing == []


def _nantong_raw():
    import tomllib
    from importlib import resources

    return tomllib.loads(resources.files("prepay_admin.profiles").joinpath("nantong-2025.toml").read_text("utf-8"))


def test_21_a_profile_written_before_the_new_chart_still_reads_with_its_accounts_carried_over():
    """RULES §7 (turn 3): a stored version is never changed, so a version that names the old 暂付款—预付金
    待收回 and lacks the new accounts reads as the new chart: the pre-settlements' detail account takes
    the unused account's code, 其他收入 and 预付款项资金往来 the packaged profiles' codes."""
    raw = _nantong_raw()
    accounts = raw["accounts"]
    for role in ("presettlement", "other_income", "funding"):
        del accounts[role]
    accounts["receivable"] = {"code": "110102", "name": "暂付款—预付金待收回"}
    accounts["overpaid"] = {"code": "210101", "name": "暂收款—预付金多缴"}
    profile = profile_from_data(raw)
    assert (profile.accounts["presettlement"].code, profile.accounts["presettlement"].name) == ("110102", "暂付款—月度预结金")
    assert profile.accounts["other_income"].code == "4301" and profile.accounts["funding"].code == "2901"
    assert "receivable" not in profile.accounts


def test_21_an_unknown_account_role_or_a_code_used_twice_is_refused():
    raw = _nantong_raw()
    raw["accounts"]["suspense"] = {"code": "9", "name": "待处理"}
    raw["accounts"]["other_income"] = {"code": "5301", "name": "其他收入"}
    with pytest.raises(ProfileError) as err:
        profile_from_data(raw)
    said = " ".join(m for _, m in err.value.problems)
    assert "suspense" in said and "重复" in said


def test_21_a_default_code_the_old_profile_uses_already_gets_a_digit_more():
    from prepay_admin.profiles import with_turn3_accounts

    accounts = with_turn3_accounts({"other_expense": {"code": "4301", "name": "其他支出"}})
    assert accounts["other_income"]["code"] == "43019"
