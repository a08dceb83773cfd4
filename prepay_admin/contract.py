"""The ``compute`` JSON contract: what-if input to facts, and an evaluation to output.

The contract is documented in ``docs/compute-contract.md``; changing a field
here is changing a published interface.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TextIO

from marshmallow import ValidationError, post_load, validates_schema

from .policy.engine import Evaluation, InstitutionResult
from .policy.facts import (
    Assessment,
    Bar,
    CreditGrade,
    Flag,
    Fund,
    FundPosition,
    InstitutionFacts,
    Kind,
    Payout,
    RegionFacts,
    Security,
    SecurityKind,
)
from .policy.money import fmt_money
from .validation import (
    Choice,
    Date,
    DecimalString,
    InputError,
    List,
    Money,
    Month,
    Nested,
    StrictBoolean,
    StrictInteger,
    StrictSchema,
    Text,
    pointer_errors,
    read_json,
)


class ContractError(ValueError):
    """Bad input: ``problems`` are (JSON pointer, Chinese message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{p}: {m}" for p, m in problems))


class _RegionSchema(StrictSchema):
    code = Text(required=True)
    name = Text(required=True)


class _FundSchema(StrictSchema):
    fund = Choice([f.value for f in Fund], required=True)
    cumulative_surplus = Money(signed=True, required=True)
    monthly_expenditure = Money(required=True)
    last_year_current_balance = Money(signed=True, required=True)
    projected_current_balance = Money(signed=True, required=True)

    @validates_schema
    def _positive_expenditure(self, data: dict, **_: Any) -> None:
        if data.get("monthly_expenditure") == 0:
            raise ValidationError("月均支出须大于 0，否则无法计算可支付月数", "monthly_expenditure")

    @post_load
    def _make(self, d: dict, **_: Any) -> FundPosition:
        return FundPosition(**{**d, "fund": Fund(d["fund"])})


class _PayoutSchema(StrictSchema):
    month = Month(required=True)
    fund = Choice([f.value for f in Fund], required=True)
    amount = Money(required=True)
    out_of_region = Money(load_default=Decimal(0))

    @validates_schema
    def _within_amount(self, data: dict, **_: Any) -> None:
        if "amount" in data and data.get("out_of_region", 0) > data["amount"]:
            raise ValidationError("异地就医部分不能大于拨付总额", "out_of_region")

    @post_load
    def _make(self, d: dict, **_: Any) -> Payout:
        return Payout(month=d["month"], fund=Fund(d["fund"]), amount=d["amount"], out_of_region=d["out_of_region"])


class _SecuritySchema(StrictSchema):
    kind = Choice([k.value for k in SecurityKind], required=True)
    value = Money(required=True)

    @post_load
    def _make(self, d: dict, **_: Any) -> Security:
        return Security(SecurityKind(d["kind"]), d["value"])


class _BarSchema(StrictSchema):
    since = Date(required=True)
    until = Date(required=True)

    @validates_schema
    def _ordered(self, data: dict, **_: Any) -> None:
        if "since" in data and "until" in data and data["until"] < data["since"]:
            raise ValidationError("截止日不能早于起始日", "until")

    @post_load
    def _make(self, d: dict, **_: Any) -> Bar:
        return Bar(d["since"], d["until"])


class _FlagSourceSchema(StrictSchema):
    flag = Choice([f.value for f in Flag], required=True)
    source = Text(required=True)


class _InstitutionSchema(StrictSchema):
    code = Text(required=True)
    name = Text(required=True)
    kind = Choice([k.value for k in Kind], required=True)
    level = StrictInteger(minimum=0, maximum=3, required=True)
    state_run = StrictBoolean(required=True)
    settled_since = Date(required=True)
    assessment = Choice([a.value for a in Assessment], required=True)
    performance_score = DecimalString(places=2, minimum=Decimal(0), maximum=Decimal(100), required=True)
    credit_grade = Choice([g.value for g in CreditGrade], required=True)
    flags = List(Choice([f.value for f in Flag]), load_default=list)
    bar = Nested(_BarSchema, load_default=None, allow_none=True)
    payouts = List(Nested(_PayoutSchema), load_default=list)
    security = Nested(_SecuritySchema, required=True, allow_none=True)
    applied_on = Date(load_default=None, allow_none=True)
    flag_sources = List(Nested(_FlagSourceSchema), load_default=list)
    declared_assessment = Choice([a.value for a in Assessment], load_default=None, allow_none=True)

    @validates_schema
    def _sourced_flags_hold(self, data: dict, **_: Any) -> None:
        missing = sorted({s["flag"] for s in data.get("flag_sources", ())} - set(data.get("flags", ())))
        if missing:
            raise ValidationError(f"flag_sources 中的情形须同时列入 flags：{'、'.join(missing)}", "flag_sources")

    @post_load
    def _make(self, d: dict, **_: Any) -> InstitutionFacts:
        return InstitutionFacts(
            code=d["code"], name=d["name"], kind=Kind(d["kind"]), level=d["level"], state_run=d["state_run"],
            settled_since=d["settled_since"], assessment=Assessment(d["assessment"]),
            performance_score=d["performance_score"], credit_grade=CreditGrade(d["credit_grade"]),
            flags=frozenset(Flag(f) for f in d["flags"]), bar=d["bar"],
            payouts=tuple(d["payouts"]), security=d["security"], applied_on=d["applied_on"],
            flag_sources=tuple((Flag(s["flag"]), s["source"]) for s in d["flag_sources"]),
            declared_assessment=None if d["declared_assessment"] is None else Assessment(d["declared_assessment"]),
        )


class _InputSchema(StrictSchema):
    year = StrictInteger(minimum=2000, maximum=2100, required=True)
    region = Nested(_RegionSchema, required=True)
    funds = List(Nested(_FundSchema), required=True)
    institutions = List(Nested(_InstitutionSchema), required=True)

    @validates_schema
    def _unique(self, data: dict, **_: Any) -> None:
        problems: dict[str, Any] = {}
        seen: set[Fund] = set()
        for i, f in enumerate(data.get("funds") or []):
            if f.fund in seen:
                problems.setdefault("funds", {})[i] = {"fund": ["基金重复"]}
            seen.add(f.fund)
        codes: set[str] = set()
        for i, inst in enumerate(data.get("institutions") or []):
            if inst.code in codes:
                problems.setdefault("institutions", {})[i] = {"code": ["机构编码重复"]}
            codes.add(inst.code)
            months: set[tuple] = set()
            for j, p in enumerate(inst.payouts):
                if (p.month, p.fund) in months:
                    problems.setdefault("institutions", {}).setdefault(i, {}).setdefault("payouts", {})[j] = {
                        "month": ["同一月份同一基金的拨付记录重复"]
                    }
                months.add((p.month, p.fund))
        if problems:
            raise ValidationError(problems)

    @post_load
    def _make(self, d: dict, **_: Any) -> RegionFacts:
        return RegionFacts(d["year"], d["region"]["code"], d["region"]["name"], tuple(d["funds"]), tuple(d["institutions"]))


def parse_input(raw: bytes) -> RegionFacts:
    """Parse the contract's JSON (raw bytes, UTF-8); raise ``ContractError`` listing every problem."""
    try:
        data = read_json(raw)
    except InputError as err:
        raise ContractError(err.problems) from None
    try:
        return _InputSchema().load(data)
    except ValidationError as err:
        raise ContractError(list(pointer_errors(err.messages))) from None


def result_as_dict(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "year": evaluation.year,
        "profile": evaluation.profile,
        "funds": [
            {
                "fund": g.fund.value,
                "payable_months": str(g.payable_months),
                "open": g.open,
                "reasons": [r.as_dict() for r in g.reasons],
            }
            for g in evaluation.funds
        ],
        "institutions": [_institution_dict(r) for r in evaluation.institutions],
        "totals": {
            "employee": fmt_money(evaluation.total_for(Fund.EMPLOYEE)),
            "resident": fmt_money(evaluation.total_for(Fund.RESIDENT)),
            "all": fmt_money(evaluation.total_for()),
        },
    }


def write_result(result: dict[str, Any], stream: TextIO) -> None:
    """The output as JSON, one institution per line: readable, and written by the C
    encoder (``indent`` would fall back to the pure-Python one, 10× slower on 100,000)."""
    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    stream.write("{\n")
    for key in ("year", "profile", "funds"):
        stream.write(f"  {dumps(key)}: {dumps(result[key])},\n")
    stream.write('  "institutions": [')
    for i, inst in enumerate(result["institutions"]):
        stream.write(("," if i else "") + "\n    " + dumps(inst))
    stream.write("\n  ],\n" if result["institutions"] else "],\n")
    stream.write(f'  "totals": {dumps(result["totals"])}\n}}\n')


def _institution_dict(r: InstitutionResult) -> dict[str, Any]:
    return {
        "code": r.code,
        "eligible": r.eligible,
        "reasons": [x.as_dict() for x in r.reasons],
        "notes": [x.as_dict() for x in r.notes],
        "months": None if r.months is None else str(r.months),
        "ratio": None if r.ratio is None else str(r.ratio),
        "advances": [
            {
                "fund": a.fund.value,
                "base": fmt_money(a.base),
                "raw": fmt_money(a.raw),
                "rounded": fmt_money(a.rounded),
                "uncapped": fmt_money(a.uncapped),
                "cap": None if a.cap is None else fmt_money(a.cap),
                "amount": fmt_money(a.amount),
                "reasons": [x.as_dict() for x in a.reasons],
            }
            for a in r.advances
        ],
        "total": fmt_money(r.total),
    }


def facts_as_dict(inst: InstitutionFacts) -> dict[str, Any]:
    """An institution's facts in the contract's input form: the frozen snapshot a determination keeps."""
    return {
        "code": inst.code, "name": inst.name, "kind": inst.kind.value, "level": inst.level,
        "state_run": inst.state_run, "settled_since": inst.settled_since.isoformat(),
        "assessment": inst.assessment.value, "performance_score": str(inst.performance_score),
        "credit_grade": inst.credit_grade.value, "flags": sorted(f.value for f in inst.flags),
        "bar": None if inst.bar is None else {"since": inst.bar.since.isoformat(), "until": inst.bar.until.isoformat()},
        "payouts": [
            {"month": f"{p.month:%Y-%m}", "fund": p.fund.value, "amount": fmt_money(p.amount),
             "out_of_region": fmt_money(p.out_of_region)}
            for p in inst.payouts
        ],
        "security": None if inst.security is None else {"kind": inst.security.kind.value,
                                                        "value": fmt_money(inst.security.value)},
        "applied_on": None if inst.applied_on is None else inst.applied_on.isoformat(),
        "flag_sources": [{"flag": f.value, "source": s} for f, s in inst.flag_sources],
        "declared_assessment": None if inst.declared_assessment is None else inst.declared_assessment.value,
    }
