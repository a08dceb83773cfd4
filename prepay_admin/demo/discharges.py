"""The demo region's inpatient settlements (DEPOSIT.md item 9): three years of discharges for its hospitals,
seeded, as the national platform's SETL_D rows a bureau imports (``intake.kinds.DISCHARGES`` records).

Costs are lognormal per disease group and hospital level; the fund pays a class-specific share (职工 more than
居民); a few patients are insured elsewhere (异地), a few settlements are refunded in part and settled again,
some long stays are settled mid-stay (中途结算) and then at discharge, and some bills are settled late (after 3
working days) so that the billing rate has something to show.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Iterator

from ..policy.deposit import InsuranceClass
from ..policy.facts import Kind
from .generator import InstitutionPlan

CENT = Decimal("0.01")
BEIJING = dt.timezone(dt.timedelta(hours=8))
# CHS-DRG style groups: (code, department, typical cost in yuan at a level-2 hospital, spread, share of stays)
GROUPS = (
    ("ES39", "呼吸内科", 7_500, 0.45, 14),  # 呼吸系统感染/炎症
    ("FR39", "心血管内科", 11_000, 0.50, 9),  # 心力衰竭
    ("FM19", "心血管内科", 42_000, 0.30, 4),  # 经皮冠状动脉支架植入
    ("BR29", "神经内科", 12_500, 0.50, 10),  # 脑缺血性疾患
    ("DT19", "呼吸内科", 9_000, 0.45, 7),  # 慢性阻塞性肺病
    ("GD19", "普外科", 13_000, 0.35, 6),  # 阑尾切除术
    ("HC39", "肝胆外科", 21_000, 0.35, 5),  # 胆囊切除术
    ("IC39", "骨科", 36_000, 0.40, 5),  # 髋、股骨手术
    ("OR19", "产科", 8_500, 0.30, 9),  # 剖宫产
    ("OS19", "产科", 4_800, 0.30, 8),  # 阴道分娩
    ("LR19", "泌尿外科", 6_500, 0.45, 6),  # 肾结石
    ("JR19", "乳腺外科", 18_000, 0.40, 3),  # 乳房手术
    ("XS29", "康复科", 15_000, 0.60, 4),  # 康复
)
LEVEL_COST = {0: 0.6, 1: 0.75, 2: 1.0, 3: 1.35}
LEVEL_STAYS = {0: 40, 1: 90, 2: 260, 3: 620}  # admissions a year
FUND_SHARE = {InsuranceClass.EMPLOYEE: 0.76, InsuranceClass.RESIDENT: 0.62}
ELSEWHERE = ("110100", "310100", "440100", "510100")


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def plan_discharges(seed: int, plans: Iterable[InstitutionPlan], year: int, region_code: str,
                    years: int = 3, through: dt.date | None = None) -> Iterator[dict]:
    """The settlements of ``years`` complete years before ``year`` for every hospital among ``plans`` and,
    with ``through``, those of ``year`` discharged in its whole months before that day (the monthly files
    received so far: what the recompute triggers of rule 5 watch)."""
    months = 0 if through is None or through.year < year else 12 if through.year > year else through.month - 1
    for plan in plans:
        if plan.kind != Kind.HOSPITAL:
            continue
        rng = random.Random(f"{seed}/discharges/{plan.code}")
        for y in range(year - years, year):
            stays = int(LEVEL_STAYS.get(plan.level, 100) * rng.uniform(0.8, 1.2))
            for n in range(stays):
                yield from _admission(rng, plan, y, n, region_code)
        if months:
            days = (dt.date(year + months // 12, months % 12 + 1, 1) - dt.date(year, 1, 1)).days
            current = random.Random(f"{seed}/discharges/{plan.code}/{year}")
            for n in range(int(LEVEL_STAYS.get(plan.level, 100) * months / 12 * current.uniform(0.8, 1.2))):
                yield from _admission(current, plan, year, n, region_code, days)


def _admission(rng: random.Random, plan: InstitutionPlan, year: int, n: int, region_code: str,
               days: int | None = None) -> Iterator[dict]:
    code, department, typical, spread, _ = rng.choices(GROUPS, weights=[g[4] for g in GROUPS])[0]
    cls = InsuranceClass.EMPLOYEE if rng.random() < 0.42 else InsuranceClass.RESIDENT
    area = rng.choice(ELSEWHERE) if rng.random() < 0.03 else region_code
    mean = typical * LEVEL_COST.get(plan.level, 1.0)
    cost = max(800.0, rng.lognormvariate(math.log(mean) - spread ** 2 / 2, spread))
    discharged = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(days or 365 + (year % 4 == 0)))
    stay_days = max(2, int(rng.lognormvariate(math.log(8), 0.5)))
    admitted = discharged - dt.timedelta(days=stay_days)
    late = rng.random() < 0.06
    settled = dt.datetime.combine(discharged + dt.timedelta(days=rng.randint(4, 12) if late else rng.randint(0, 2)),
                                  dt.time(rng.randint(8, 17), rng.randint(0, 59)), BEIJING)
    visit = f"{plan.code}{year}{n:05d}"
    base = dict(visit_id=visit, institution_code=plan.code, insurance_class=cls, insured_region=area,
                medical_category="21", admitted_on=admitted, department=department, diagnosis=None, procedure=None,
                group_code=code, group_version="CHS-DRG 2.0", refund=False, original_id=None)
    if stay_days > 20 and rng.random() < 0.5:  # 中途结算: the first part of a long stay, settled at the month's end
        mid = admitted + dt.timedelta(days=stay_days // 2)
        part = cost * rng.uniform(0.35, 0.55)
        yield _settlement(rng, base, f"{visit}M", part, cls, mid,
                          dt.datetime.combine(mid, dt.time(16, 0), BEIJING))
        cost -= part
    first = _settlement(rng, base, f"{visit}S", cost, cls, discharged, settled)
    yield first
    if rng.random() < 0.02:  # refunded in part (a charge withdrawn) and settled again
        share = rng.uniform(0.05, 0.2)
        yield {**first, "settlement_id": f"{visit}R", "refund": True, "original_id": first["settlement_id"],
               "settled_at": settled + dt.timedelta(days=3), **_balanced(first, share)}


def _settlement(rng: random.Random, base: dict, sid: str, cost: float, cls: InsuranceClass, discharged: dt.date,
                settled: dt.datetime) -> dict:
    total = _money(cost)
    self_pay = _money(cost * rng.uniform(0.03, 0.14))  # 自费: outside the insurance list
    fund = _money((cost - float(self_pay)) * FUND_SHARE[cls] * rng.uniform(0.92, 1.05))
    fund = min(fund, total - self_pay)
    copay = total - fund - self_pay  # 个人自付: inside the list, after the fund
    burden = copay + self_pay
    account = _money(float(burden) * rng.uniform(0.2, 0.5)) if cls == InsuranceClass.EMPLOYEE else Decimal("0.00")
    return dict(base, settlement_id=sid, discharged_on=discharged, settled_at=settled, total=total, fund_paid=fund,
                personal_burden=burden, copay=copay, self_pay=self_pay, account_paid=account, cash_paid=burden - account,
                hospital_borne=Decimal("0.00"))


def _balanced(first: dict, share: float) -> dict:
    """A refund's amounts, each to the fen, so that the identities hold exactly (negative)."""
    s = Decimal(str(round(share, 4)))
    fund = -(first["fund_paid"] * s).quantize(CENT, rounding=ROUND_HALF_UP)
    copay = -(first["copay"] * s).quantize(CENT, rounding=ROUND_HALF_UP)
    self_pay = -(first["self_pay"] * s).quantize(CENT, rounding=ROUND_HALF_UP)
    account = -(first["account_paid"] * s).quantize(CENT, rounding=ROUND_HALF_UP)
    burden = copay + self_pay
    return dict(total=fund + burden, fund_paid=fund, copay=copay, self_pay=self_pay, personal_burden=burden,
                account_paid=account, cash_paid=burden - account, hospital_borne=Decimal("0.00"))


# -- the hospitals' published tables and the groups' payment standards (DEPOSIT.md item 9) -----------------

PUBLISHED_GROUPS = 8  # a hospital publishes its most frequent groups
MEAN_SELF_PAY = 0.085  # the mean 自费 share of the cost drawn above
MEAN_FUND = {cls: share * 0.985 for cls, share in FUND_SHARE.items()}  # the fund's share, after the 自费
STANDARD_CHANGED = "FM19"  # 集采 stents: the 2026 standard falls by 18% (rule 5(c): over 10%)


def _expected_burden(typical: float, level: int, cls: InsuranceClass) -> float:
    cost = typical * LEVEL_COST.get(level, 1.0)
    return cost * (MEAN_SELF_PAY + (1 - MEAN_SELF_PAY) * (1 - MEAN_FUND[cls]))


def plan_deposit_tables(seed: int, plans: Iterable[InstitutionPlan], effective_on: dt.date) -> Iterator[dict]:
    """Each hospital's published deposits (住院预交金公示), a realistic mix: most at or a little below what their
    patients bear (rounded down to 100 yuan), some with a group or two above it, some with a line above their
    standard before the rules, a few publishing only some of their common groups, a tenth publishing nothing
    yet; the 自费 line at four fifths of the mean cost."""
    for plan in plans:
        if plan.kind != Kind.HOSPITAL:
            continue
        rng = random.Random(f"{seed}/deposit-table/{plan.code}")
        style = rng.choices(("compliant", "above", "partial", "frozen", "none"), weights=(55, 20, 10, 5, 10))[0]
        if style == "none":
            continue
        groups = sorted(GROUPS, key=lambda g: -g[4])[:3 if style == "partial" else PUBLISHED_GROUPS]
        above = {g[0] for g in rng.sample(groups, 2)} if style == "above" else set()
        if style == "above" and plan.level == 3:  # its most frequent group too: enough stays a month to watch
            above.add(groups[0][0])
        for code, _department, typical, _spread, _share in groups:
            for cls, name in ((InsuranceClass.EMPLOYEE, "职工医保"), (InsuranceClass.RESIDENT, "居民医保")):
                burden = _expected_burden(typical, plan.level, cls)
                factor = rng.uniform(1.3, 1.7) if code in above else rng.uniform(0.7, 0.85)
                amount = _hundreds(burden * factor)
                # its standard before the rules: higher, but a "frozen" hospital has raised one line since
                prior = amount - 200 if style == "frozen" and code == groups[0][0] else _hundreds(burden * 1.5 + 1000)
                yield dict(institution_code=plan.code, group_code=code, insurance_class=name, amount=amount,
                           basis="近三年同病种同类别患者次均个人负担", effective_on=effective_on, prior_standard=prior)
            cost = typical * LEVEL_COST.get(plan.level, 1.0)
            yield dict(institution_code=plan.code, group_code=code, insurance_class="自费",
                       amount=_hundreds(cost * 0.8), basis="近三年同病种次均住院费用", effective_on=effective_on,
                       prior_standard=None)


def _hundreds(value: float) -> Decimal:
    return Decimal(max(100, int(value) // 100 * 100)).quantize(CENT)


def plan_payment_standards(year: int) -> Iterator[dict]:
    """The groups' payment standards of the year before and of ``year``: 3% up, but one group 18% down."""
    for code, _department, typical, _spread, _share in GROUPS:
        for name in ("职工医保", "居民医保"):
            before = Decimal(typical).quantize(CENT)
            yield dict(group_code=code, insurance_class=name, year=year - 1, standard=before)
            factor = Decimal("0.82") if code == STANDARD_CHANGED else Decimal("1.03")
            yield dict(group_code=code, insurance_class=name, year=year,
                       standard=(before * factor).quantize(CENT, rounding=ROUND_HALF_UP))


def deposit_tables_effective(year: int) -> dt.date:
    """The demo tables took effect the summer before the reference year, after the freeze (rule 4)."""
    return dt.date(year - 1, 7, 1)


def plan_complaints(seed: int, plans: Iterable[InstitutionPlan], through: dt.date, year: int) -> Iterator[dict]:
    """Verified deposit complaints (rule 5(b)) of the year's whole months before ``through``: now and then one
    at a hospital, and at the first large hospital a month with many (above 5% of its admissions)."""
    months = 0 if through.year < year else 12 if through.year > year else through.month - 1
    loud = None
    for plan in plans:
        if plan.kind != Kind.HOSPITAL:
            continue
        rng = random.Random(f"{seed}/complaints/{plan.code}")
        if loud is None and plan.level == 3:
            loud = plan.code
        for m in range(1, months + 1):
            many = plan.code == loud and m == months
            if many or plan.level == 3 and rng.random() < 0.08:  # one in a large hospital's month: under 5%
                yield dict(institution_code=plan.code, month=dt.date(year, m, 1), verified=6 if many else 1)
