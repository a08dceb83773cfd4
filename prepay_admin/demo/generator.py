"""Generate a demo region's institutions, deterministically from (seed, index).

Each institution draws from its own ``Random(f"{seed}/{index}")``, so a region
of 100,000 is generated in streaming chunks and any one institution can be
regenerated alone. The first institutions are fixed scenarios, so that even a
small region shows every reason the rules can give; the rest are random with
realistic proportions.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator

from ..intake.codes import uscc_check_character
from ..policy.facts import Assessment, Bar, CreditGrade, Flag, Fund, Kind, SecurityKind

DISTRICTS = ["崇川", "通州", "海门", "如皋", "如东", "启东", "海安", "港闸", "开发区", "苏锡通"]
HOSPITAL_NAMES = ["人民医院", "中医院", "妇幼保健院", "第二人民医院", "骨伤医院", "康复医院", "肿瘤医院", "眼科医院", "口腔医院", "中西医结合医院"]
STREETS = ["城东", "城西", "和平桥", "观音山", "文峰", "狼山", "秦灶", "钟秀", "虹桥", "学田", "陈桥", "唐闸"]
BANKS = ["中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行", "江苏银行", "南通农村商业银行"]


@dataclass(frozen=True)
class PayoutRow:
    """Amounts in integer fen: the demo writes millions of these, straight to the database."""

    month: dt.date
    fund: Fund
    amount_fen: int
    out_of_region_fen: int

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_fen).scaleb(-2)

    @property
    def out_of_region(self) -> Decimal:
        return Decimal(self.out_of_region_fen).scaleb(-2)


@dataclass(frozen=True)
class SecurityRow:
    kind: SecurityKind
    value: Decimal
    registration_ref: str


@dataclass(frozen=True)
class InstitutionPlan:
    code: str
    name: str
    credit_code: str
    kind: Kind
    level: int
    state_run: bool
    settled_since: dt.date
    bank_name: str
    bank_account: str
    assessment: Assessment
    performance_score: Decimal
    credit_grade: CreditGrade
    flags: frozenset[Flag] = frozenset()
    bar: Bar | None = None
    security: SecurityRow | None = None  # what the institution offers: registered in the signing window
    payouts: tuple[PayoutRow, ...] = field(default=())
    scenario: str = ""


# Fixed scenarios: (label, changes applied on top of a healthy level-2 hospital)
SCENARIOS: list[tuple[str, dict]] = [
    ("优秀样例：95分以上且居民占比过半", {"score": "96.50", "grade": "A", "resident_share": "0.62"}),
    ("90分档，A级", {"score": "92.00", "grade": "A"}),
    ("80分档，B级", {"score": "85.00", "grade": "B"}),
    ("恰好80分", {"score": "80.00", "grade": "B"}),
    ("79.99分，不足80分", {"score": "79.99"}),
    ("C级信用", {"grade": "C"}),
    ("考核合格（须优秀或良好）", {"assessment": "pass"}),
    ("定点零售药店", {"kind": "pharmacy", "level": 0, "state_run": False}),
    ("未定级诊所", {"kind": "clinic", "level": 0, "state_run": False}),
    ("未定级社区卫生服务中心（可申请）", {"kind": "community_health_center", "level": 0}),
    ("去年年中才开始结算", {"settled_recently": True}),
    ("抵押额低于测算额（限额）", {"security_factor": "0.6"}),
    ("抵押额不足10万（限额后不足10万）", {"security_value": "95000"}),
    ("规模太小（不足10万）", {"kind": "clinic", "level": 1, "monthly": "60000", "state_run": False}),
    ("未提供担保", {"security": None}),
    ("民营机构使用信用担保", {"state_run": False, "security_kind": "credit_guarantee"}),
    ("三年内不得申请", {"barred": True}),
    *[(f"存在情形：{flag.value}", {"flags": [flag.value]}) for flag in Flag],
]


def plan_institution(seed: int, index: int, year: int, region_prefix: str) -> InstitutionPlan:
    rng = random.Random(f"{seed}/{index}")
    scenario_label, changes = SCENARIOS[index] if index < len(SCENARIOS) else ("", {})
    if changes:
        kind = Kind(changes.get("kind", "hospital"))
        level = changes.get("level", 2)
    else:
        kind = rng.choices(list(Kind), weights=[45, 20, 20, 15])[0]
        level = _random_level(rng, kind)
    state_run = changes.get("state_run", _random_state_run(rng, kind))
    district = DISTRICTS[index % len(DISTRICTS)]
    name = _name(rng, index, kind, level, district)
    code = f"{'P' if kind == Kind.PHARMACY else 'H'}{region_prefix}{index + 1:07d}"  # H or P and 11 digits

    if changes.get("settled_recently"):
        settled = dt.date(year - 1, 6, 15)
    elif not changes and rng.random() < 0.05:
        settled = dt.date(year - 1, rng.randint(1, 12), 1) + dt.timedelta(days=rng.randint(1, 27))
    else:
        settled = dt.date(year - rng.randint(2, 25), rng.randint(1, 12), 1)

    assessment = Assessment(changes.get("assessment") or rng.choices(list(Assessment), weights=[30, 45, 18, 7])[0])
    if changes and "assessment" not in changes:
        assessment = Assessment.GOOD
    score = Decimal(changes["score"]) if "score" in changes else (
        Decimal("90.00") if changes else _random_score(rng)
    )
    grade = CreditGrade(changes.get("grade") or ("A" if changes else rng.choices("ABCD", weights=[45, 35, 13, 7])[0]))

    flags = frozenset(Flag(f) for f in changes.get("flags", ()))
    if not changes:
        flags = frozenset(f for f in Flag if rng.random() < 0.015)
    # 21§(六): three years from the finding, the last barred day included
    barred = None
    if changes.get("barred") or (not changes and rng.random() < 0.01):
        since = dt.date(year - 2, 7, 1)
        barred = Bar(since, dt.date(since.year + 3, 6, 30))

    monthly = Decimal(changes["monthly"]) if "monthly" in changes else _monthly_scale(rng, kind, level)
    share = Decimal(changes["resident_share"]) if "resident_share" in changes else (
        Decimal("0.40") if changes else Decimal(rng.randint(15, 70)) / 100
    )
    payouts = tuple(_payouts(rng, year, monthly, share))

    security = _security(rng, index, year, kind, state_run, monthly, changes)
    return InstitutionPlan(
        code=code, name=name, credit_code=credit_code(region_prefix, index), kind=kind, level=level, state_run=state_run, settled_since=settled,
        bank_name=f"{rng.choice(BANKS)}南通{district}支行", bank_account=f"{rng.randint(10**18, 10**19 - 1)}",
        assessment=assessment, performance_score=score, credit_grade=grade, flags=flags, bar=barred,
        security=security, payouts=payouts, scenario=scenario_label,
    )


def fund_positions(year: int, institutions: int) -> list[dict]:
    """The region's two funds at the end of ``year − 1``, scaled to its size: the employee fund holds
    15.6 months of surplus, the resident fund 7.2 (both above their 9§ thresholds)."""
    scale = Decimal(max(institutions, 1)) * Decimal("450000")
    figures = {
        Fund.EMPLOYEE: (scale * Decimal("0.6"), Decimal("15.6"), Decimal("0.031"), Decimal("0.012")),
        Fund.RESIDENT: (scale * Decimal("0.4"), Decimal("7.2"), Decimal("0.018"), Decimal("0.006")),
    }
    cent = Decimal("0.01")
    return [dict(year=year, fund=fund, cumulative_surplus=(monthly * months).quantize(cent),
                 monthly_expenditure=monthly.quantize(cent),
                 last_year_current_balance=(monthly * 12 * last_margin).quantize(cent),
                 projected_current_balance=(monthly * 12 * projected_margin).quantize(cent))
            for fund, (monthly, months, last_margin, projected_margin) in figures.items()]


def credit_code(region_prefix: str, index: int) -> str:
    """A unified social credit code of a public institution (事业单位, 12) of the region, with its check
    character (GB 32100-2015)."""
    first17 = f"12{region_prefix}00{index + 1:09d}"
    return first17 + uscc_check_character(first17)


def plan_region(seed: int, count: int, year: int, region_prefix: str) -> Iterator[InstitutionPlan]:
    for index in range(count):
        yield plan_institution(seed, index, year, region_prefix)


def _random_score(rng: random.Random) -> Decimal:
    """Most designated institutions score in the bands; about one in seven falls under 80."""
    low, high = (6500, 7999) if rng.random() < 0.15 else (8000, 10000)
    return (Decimal(rng.randint(low, high)) / 100).quantize(Decimal("0.01"))


def _random_level(rng: random.Random, kind: Kind) -> int:
    if kind == Kind.HOSPITAL:
        return rng.choices([0, 1, 2, 3], weights=[5, 35, 40, 20])[0]
    if kind == Kind.COMMUNITY_HEALTH_CENTER:
        return rng.choices([0, 1], weights=[60, 40])[0]
    if kind == Kind.CLINIC:
        return rng.choices([0, 1], weights=[70, 30])[0]
    return 0


def _random_state_run(rng: random.Random, kind: Kind) -> bool:
    return rng.random() < {Kind.HOSPITAL: 0.7, Kind.COMMUNITY_HEALTH_CENTER: 1.0, Kind.CLINIC: 0.2, Kind.PHARMACY: 0.0}[kind]


def _name(rng: random.Random, index: int, kind: Kind, level: int, district: str) -> str:
    if kind == Kind.HOSPITAL:
        return f"南通市{district}{HOSPITAL_NAMES[index % len(HOSPITAL_NAMES)]}（{index + 1}）"
    if kind == Kind.COMMUNITY_HEALTH_CENTER:
        return f"{district}区{STREETS[index % len(STREETS)]}街道社区卫生服务中心（{index + 1}）"
    if kind == Kind.CLINIC:
        return f"{district}{STREETS[index % len(STREETS)]}诊所（{index + 1}）"
    return f"{district}百信大药房第{index + 1}分店"


def _monthly_scale(rng: random.Random, kind: Kind, level: int) -> Decimal:
    """A month's fund payout, in yuan, typical of the kind and level."""
    low, high = {
        (Kind.HOSPITAL, 3): (3_000_000, 9_000_000),
        (Kind.HOSPITAL, 2): (600_000, 3_000_000),
        (Kind.HOSPITAL, 1): (120_000, 700_000),
        (Kind.HOSPITAL, 0): (50_000, 300_000),
    }.get((kind, level), {
        Kind.COMMUNITY_HEALTH_CENTER: (80_000, 500_000),
        Kind.CLINIC: (20_000, 200_000),
        Kind.PHARMACY: (30_000, 300_000),
        Kind.HOSPITAL: (50_000, 300_000),
    }[kind])
    return Decimal(rng.randint(low, high))


def _payouts(rng: random.Random, year: int, monthly: Decimal, resident_share: Decimal) -> Iterator[PayoutRow]:
    """Three years of monthly payouts per fund, growing 5% a year, with ±10% noise.

    Integer arithmetic in fen (percentages as whole numbers): this runs 72
    times per institution, millions of times for a large region.
    """
    monthly_fen = int(monthly * 100)
    resident_pct = int(resident_share * 100)
    shares = ((Fund.EMPLOYEE, 100 - resident_pct), (Fund.RESIDENT, resident_pct))
    uniform = rng.random  # randint() is several times slower, and this loop is the load's hot spot
    for y in (year - 3, year - 2, year - 1):
        growth_pct = 100 - 5 * (year - 1 - y)
        for m in range(1, 13):
            month = dt.date(y, m, 1)
            for fund, share_pct in shares:
                noise_pct = 90 + int(uniform() * 21)  # 90..110
                amount = monthly_fen * share_pct * growth_pct * noise_pct // 1_000_000
                yield PayoutRow(month, fund, amount, amount * int(uniform() * 16) // 100)


def _security(rng: random.Random, index: int, year: int, kind: Kind, state_run: bool, monthly: Decimal,
              changes: dict) -> SecurityRow | None:
    if "security" in changes and changes["security"] is None:
        return None
    if not changes and rng.random() < 0.03:
        return None
    kind_name = changes.get("security_kind") or (
        "credit_guarantee" if state_run and rng.random() < 0.6 else "pledge"
    )
    if "security_value" in changes:
        value = Decimal(changes["security_value"])
    else:
        factor = Decimal(changes.get("security_factor") or (str(rng.choice(["0.5", "0.8", "1.2", "2", "3"])) if not changes else "3"))
        value = (monthly * factor).quantize(Decimal("1"))
    ref = ("抵押登记" if kind_name == "pledge" else "担保函") + f"〔{year - 1}〕{index + 1:06d}号"
    return SecurityRow(SecurityKind(kind_name), value, ref)
