"""The shape of a policy profile file: every table and parameter, validated whole, with the article
or the reason behind each bound (the marshmallow schemas), the accounts a profile must name, and how
a version written before the turn-3 chart is read."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, post_load, pre_load, validate, validates_schema

from accounting.chart import REQUIRED_ROLES, Role

from ..policy.departments import Department
from ..policy.facts import Assessment, CreditGrade, Flag, Fund, Kind
from ..policy.money import ROUNDING_MODES
from ..policy.profile import (
    DEFAULT_RECOVERY_ARTICLES,
    Account,
    AmountRules,
    CalendarRules,
    EligibilityRules,
    FundRules,
    MonthDay,
    PolicyProfile,
    PresettlementRules,
    ResidentShareBonus,
    ScoreBand,
    YearEndRules,
)
from ..policy.reasons import MESSAGES as REASON_CODES
from ..policy.reasons import Citations
from ..policy.recovery import Route
from ..policy.signoff import DEFAULT_RULES, SIGNING_DEPARTMENTS, Chain, Level, SignOffRules, chain_problems
from ..validation import (
    Choice,
    DecimalString,
    List,
    Mapping,
    Nested,
    StrictBoolean,
    StrictInteger,
    StrictSchema,
    Text,
)

DEFAULT_PROFILE = "nantong-2025"
REQUIRED_ACCOUNTS = tuple(role.value for role in REQUIRED_ROLES)  # every role a posting template uses

# RULES §7 (turn 3) changed the chart: a profile written before it (a stored version is never changed)
# names ``receivable`` (暂付款—预付金待收回, never posted to) and lacks the new accounts. Read as: the
# pre-settlements' detail account takes the unused account's code, and 其他收入 and 预付款项资金往来
# take the codes the packaged profiles give them (a code the profile uses already gets a digit more).
# A new version should name all.
LEGACY_ACCOUNT_DEFAULTS = {
    "other_income": {"code": "4301", "name": "其他收入"},
    "funding": {"code": "2901", "name": "预付款项资金往来"},
}


def with_turn3_accounts(accounts: dict[str, Any]) -> dict[str, Any]:
    """A profile's ``[accounts]`` table as the chart of RULES §7 (turn 3) reads it (pure)."""
    if not isinstance(accounts, dict):
        return accounts
    out = dict(accounts)
    legacy = out.pop("receivable", None)
    if "presettlement" not in out and isinstance(legacy, dict) and "code" in legacy:
        out["presettlement"] = {"code": legacy["code"], "name": "暂付款—月度预结金"}
    used = {a.get("code") for a in out.values() if isinstance(a, dict)}
    for role, account in LEGACY_ACCOUNT_DEFAULTS.items():
        if role not in out:
            code = account["code"]
            while code in used:
                code += "9"
            out[role] = {"code": code, "name": account["name"]}
            used.add(code)
    return out


class ProfileError(ValueError):
    """A profile that cannot be used; ``problems`` are (parameter path, message)."""

    def __init__(self, name: str, problems: list[tuple[str, str]]):
        self.name = name
        self.problems = problems
        super().__init__(f"政策参数方案 {name} 有误：" + "；".join(f"{p}: {m}" for p, m in problems))


@dataclass(frozen=True)
class Override:
    """One overridden parameter: ``path`` like ``amount.minimum``, ``value`` a JSON value."""

    path: str
    value: Any
    approval_ref: str


class _Table(StrictSchema):
    """A table of a profile file: unknown keys are errors, messages speak of TOML tables."""

    error_messages = {"unknown": "未知字段", "type": "须为表（名称 = 值）"}


def _percent() -> DecimalString:
    return DecimalString(places=4, minimum=Decimal(0), maximum=Decimal(1))


class _FundsSchema(_Table):
    min_payable_months = Mapping(
        keys=Choice([f.value for f in Fund]), values=DecimalString(places=2, minimum=Decimal(0)), required=True
    )
    refuse_on_last_year_deficit = StrictBoolean(required=True)
    refuse_on_projected_deficit = StrictBoolean(required=True)

    @validates_schema
    def _both_funds(self, data: dict[str, Any], **_: Any) -> None:
        missing = {f.value for f in Fund} - set(data.get("min_payable_months", {}))
        if missing:
            raise ValidationError(f"缺少基金 {sorted(missing)} 的可支付月数下限", "min_payable_months")

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> FundRules:
        return FundRules({Fund(k): v for k, v in d["min_payable_months"].items()},
                         d["refuse_on_last_year_deficit"], d["refuse_on_projected_deficit"])


class _EligibilitySchema(_Table):
    eligible_kinds = List(Choice([k.value for k in Kind]), required=True)
    min_level = StrictInteger(minimum=0, maximum=3, required=True)
    level_exempt_kinds = List(Choice([k.value for k in Kind]), required=True)
    settlement_full_years = StrictInteger(minimum=0, maximum=10, required=True)
    assessments_allowed = List(Choice([a.value for a in Assessment]), required=True)
    min_score = DecimalString(places=2, minimum=Decimal(0), maximum=Decimal(100), load_default=None, allow_none=True)
    grades_allowed = List(Choice([g.value for g in CreditGrade]), load_default=None, allow_none=True)
    disqualifying_flags = List(Choice([f.value for f in Flag]), required=True)
    security_required = StrictBoolean(required=True)
    credit_guarantee_requires_state_run = StrictBoolean(required=True)
    bar_years = StrictInteger(minimum=0, maximum=10, required=True)

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> EligibilityRules:
        return EligibilityRules(
            eligible_kinds=frozenset(Kind(k) for k in d["eligible_kinds"]),
            min_level=d["min_level"],
            level_exempt_kinds=frozenset(Kind(k) for k in d["level_exempt_kinds"]),
            settlement_full_years=d["settlement_full_years"],
            assessments_allowed=frozenset(Assessment(a) for a in d["assessments_allowed"]),
            min_score=d["min_score"],
            grades_allowed=None if d["grades_allowed"] is None else frozenset(CreditGrade(g) for g in d["grades_allowed"]),
            disqualifying_flags=frozenset(Flag(f) for f in d["disqualifying_flags"]),
            security_required=d["security_required"],
            credit_guarantee_requires_state_run=d["credit_guarantee_requires_state_run"],
            bar_years=d["bar_years"],
        )


class _BandSchema(_Table):
    min_score = DecimalString(places=2, minimum=Decimal(0), maximum=Decimal(100), required=True)
    months = DecimalString(places=2, minimum=Decimal(0), maximum=Decimal(12), required=True)


class _BonusSchema(_BandSchema):
    share_above = _percent()


class _AmountSchema(_Table):
    base_years = StrictInteger(minimum=1, maximum=3, required=True)
    base_excludes_out_of_region = StrictBoolean(required=True)
    base_months_from_settlement_start = StrictBoolean(required=True)
    months_by_score = List(Nested(_BandSchema), required=True)
    resident_share_bonus = Nested(_BonusSchema, load_default=None, allow_none=True)
    ratio_by_grade = Mapping(keys=Choice([g.value for g in CreditGrade]), values=_percent(), required=True)
    rounding_unit = DecimalString(places=2, minimum=Decimal("0.01"), required=True)
    rounding_mode = Choice(ROUNDING_MODES, required=True)
    minimum = DecimalString(places=2, minimum=Decimal(0), required=True)
    cap_by_security = StrictBoolean(required=True)
    cap_rounding_mode = Choice(ROUNDING_MODES, required=True)
    minimum_after_cap = StrictBoolean(required=True)

    @validates_schema
    def _bands(self, data: dict[str, Any], **_: Any) -> None:
        bands = data.get("months_by_score") or []
        if not bands:
            raise ValidationError("至少需要一个分数档", "months_by_score")
        scores = [b["min_score"] for b in bands]
        if scores != sorted(scores) or len(set(scores)) != len(scores):
            raise ValidationError("分数档须按 min_score 严格递增", "months_by_score")

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> AmountRules:
        bonus = d["resident_share_bonus"]
        return AmountRules(
            base_years=d["base_years"],
            base_excludes_out_of_region=d["base_excludes_out_of_region"],
            base_months_from_settlement_start=d["base_months_from_settlement_start"],
            months_by_score=tuple(ScoreBand(b["min_score"], b["months"]) for b in d["months_by_score"]),
            resident_share_bonus=None if bonus is None else ResidentShareBonus(bonus["min_score"], bonus["share_above"], bonus["months"]),
            ratio_by_grade={CreditGrade(k): v for k, v in d["ratio_by_grade"].items()},
            rounding_unit=d["rounding_unit"],
            rounding_mode=d["rounding_mode"],
            minimum=d["minimum"],
            cap_by_security=d["cap_by_security"],
            cap_rounding_mode=d["cap_rounding_mode"],
            minimum_after_cap=d["minimum_after_cap"],
        )


class _MonthDaySchema(_Table):
    month = StrictInteger(minimum=1, maximum=12, required=True)
    day = StrictInteger(minimum=1, maximum=31, required=True)
    year_offset = StrictInteger(minimum=-1, maximum=1, load_default=0)

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> MonthDay:
        md = MonthDay(d["month"], d["day"], d["year_offset"])
        try:
            md.in_campaign(2001)  # a non-leap year: 2-29 is refused too
        except ValueError:
            raise ValidationError("不是有效的月日") from None
        return md


class _CalendarSchema(_Table):
    application_deadline = Nested(_MonthDaySchema, required=True)
    list_fixed_by = Nested(_MonthDaySchema, required=True)
    signing_working_days = StrictInteger(minimum=1, maximum=60, required=True)
    confirmed_and_paid_by = Nested(_MonthDaySchema, required=True)
    qualification_start = Nested(_MonthDaySchema, required=True)
    qualification_end = Nested(_MonthDaySchema, required=True)
    agreement_years = StrictInteger(minimum=1, maximum=5, required=True)

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> CalendarRules:
        return CalendarRules(**d)


class _YearEndSchema(_Table):
    mode = Choice(["rollover", "recover"], required=True)
    refund_working_days = StrictInteger(minimum=1, maximum=60, required=True)
    withhold_settlement_until_recovered = StrictBoolean(required=True)
    # 20§(二)5 提起诉讼 / HB 五 依法申请强制执行: the wording of the court route, and the article the
    # demand cites (defaults: the Nantong text's, for versions stored before these were parameters)
    court_action = Text(max_length=40, load_default="提起诉讼")
    # what a demand says follows when nothing is refunded (after "从你单位此后的结算款中扣回，并")
    court_clause = Text(max_length=200, load_default="依法申报破产债权或提起诉讼")
    # the article a demand cites, by why the money is owed (RULES §5, §6, §8)
    recovery_articles = Mapping(keys=Choice([r.value for r in Route]), values=Text(max_length=40),
                                load_default=dict(DEFAULT_RECOVERY_ARTICLES))

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> YearEndRules:
        return YearEndRules(**d)


class _PresettlementSchema(_Table):
    enabled = StrictBoolean(required=True)
    max_share_of_incurred = DecimalString(places=4, minimum=Decimal(0), maximum=Decimal(1), required=True)
    eligible_kinds = List(Choice([k.value for k in Kind]), required=True)

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> PresettlementRules:
        return PresettlementRules(d["enabled"], d["max_share_of_incurred"], frozenset(Kind(k) for k in d["eligible_kinds"]))


class _LevelSchema(_Table):
    department = Choice([d.value for d in SIGNING_DEPARTMENTS], required=True)
    title = Text(max_length=40, required=True)

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> Level:
        return Level(Department(d["department"]), d["title"])


class _SignOffSchema(_Table):
    """24§(五), RULES §4: the levels of the review, in order (each signs the hash of what it read)."""

    batch = List(Nested(_LevelSchema), required=True)
    presettlement_bureau = List(Nested(_LevelSchema), required=True)

    @validates_schema
    def _chains(self, data: dict[str, Any], **_: Any) -> None:
        problems = {}
        for key, confirmed in (("batch", True), ("presettlement_bureau", False)):
            found = chain_problems(data.get(key) or [], ends_with_confirmation=confirmed)
            if found:
                problems[key] = found
        if problems:
            raise ValidationError(problems)

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> SignOffRules:
        return SignOffRules(Chain(tuple(d["batch"])), Chain(tuple(d["presettlement_bureau"])))


class _AccountSchema(_Table):
    # as the ledger's chart holds them (ledger_account.code, .name)
    code = Text(max_length=20, required=True, validate=validate.Regexp(
        r"[0-9A-Za-z.\-]{1,20}\Z", error="科目代码须为 1—20 位数字、字母、点或连字符"))
    name = Text(max_length=60, required=True)

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> Account:
        return Account(**d)


class _OwnDefaultsSchema(_Table):
    """Rules the source text does not contain, kept as the profile's own defaults."""

    reasons = List(Choice(REASON_CODES), required=True)
    note = Text(required=True)


PROFILE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}\Z")  # marshmallow's Regexp matches from the start


class _ProfileSchema(_Table):
    # a name says the region and the text's year (nantong-2025); a revision keeps it and adds a version
    name = Text(max_length=40, required=True, validate=validate.Regexp(
        PROFILE_NAME, error="须为小写字母、数字和连字符，1—40 个字符，以字母或数字开头（如 nantong-2025）"))
    version = StrictInteger(minimum=1, maximum=9999, required=True)
    title = Text(max_length=200, required=True)
    source = Text(max_length=200, required=True)
    funds = Nested(_FundsSchema, required=True)
    eligibility = Nested(_EligibilitySchema, required=True)
    amount = Nested(_AmountSchema, required=True)
    calendar = Nested(_CalendarSchema, required=True)
    year_end = Nested(_YearEndSchema, required=True)
    presettlement = Nested(_PresettlementSchema, required=True)
    signoff = Nested(_SignOffSchema, load_default=DEFAULT_RULES)  # versions stored before it: the old chain
    accounts = Mapping(keys=Text(max_length=40), values=Nested(_AccountSchema), required=True)
    articles = Mapping(keys=Choice(REASON_CODES), values=Text(max_length=50), required=True)
    own_defaults = Nested(_OwnDefaultsSchema, load_default=None, allow_none=True)

    @pre_load
    def _turn3_chart(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("accounts"), dict):
            data = dict(data, accounts=with_turn3_accounts(data["accounts"]))
        return data

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        problems: dict[str, list[str]] = {}
        accounts = data.get("accounts") or {}
        missing = [a for a in REQUIRED_ACCOUNTS if a not in accounts]
        if missing:
            problems["accounts"] = [f"缺少科目 {missing}"]
        unknown = sorted(set(accounts) - {role.value for role in Role})
        if unknown:
            problems["accounts"] = problems.get("accounts", []) + [f"未知的科目用途 {unknown}"]
        codes = [a.code for a in accounts.values() if hasattr(a, "code")]
        if len(set(codes)) != len(codes):
            problems["accounts"] = problems.get("accounts", []) + ["科目代码有重复"]
        articles = data.get("articles") or {}
        own = set((data.get("own_defaults") or {}).get("reasons") or ())
        missing = sorted(set(REASON_CODES) - set(articles) - own)
        if missing:
            problems["articles"] = [f"缺少理由代码的条款出处 {missing}（或列入 own_defaults）"]
        both = sorted(own & set(articles))
        if both:
            problems["own_defaults"] = [f"{both} 既有条款出处又列为方案默认，只能取其一"]
        elig, amount = data.get("eligibility"), data.get("amount")
        if elig and amount:
            graded = elig.grades_allowed or frozenset(CreditGrade)
            unrated = sorted(g.value for g in graded - set(amount.ratio_by_grade))
            if unrated:
                problems["amount"] = [f"允许的信用等级 {unrated} 没有预付比例"]
        if problems:
            raise ValidationError(problems)

    @post_load
    def _make(self, d: dict[str, Any], **_: Any) -> PolicyProfile:
        own = d.pop("own_defaults") or {"reasons": [], "note": ""}
        citations = Citations(d.pop("articles"), frozenset(own["reasons"]), own["note"])
        return PolicyProfile(**d, citations=citations)
