"""The facts the rules engine reads out of the database (``services.facts.region_facts``): a region's
payouts summed per institution, window year and fund, one aggregate per year of the base window."""
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from prepay_admin.models import Institution, MonthlyPayout
from prepay_admin.services.demo import DEMO_REGION_CODE, load_demo
from prepay_admin.services.facts import region_facts
from prepay_admin.services.rules import effective_profile
from prepay_admin.services.unit_of_work import find_region

YEAR = 2026


def test_12_a_three_year_base_window_reads_each_years_payouts_per_fund_as_stored(sessions):
    # Hebei averages the base over 1–3 years (HB 二(二)): every year of its window must arrive whole
    load_demo(sessions, institutions=40, seed=11, year=YEAR, profile="hebei-2024", play=False)
    with sessions() as session:
        region = find_region(session, DEMO_REGION_CODE)
        profile = effective_profile(session, region, YEAR)
        assert profile.amount.base_years == 3
        facts = region_facts(session, region, YEAR, profile)
        codes = dict(session.execute(select(Institution.id, Institution.code)).all())
        expected: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for payout in session.scalars(select(MonthlyPayout)):
            if YEAR - 3 <= payout.month.year < YEAR:
                sums = expected[(codes[payout.institution_id], payout.month.year, payout.fund)]
                sums[0] += payout.amount
                sums[1] += payout.out_of_region
    judged = {inst.code for inst in facts.institutions}
    got = {(inst.code, p.month.year, p.fund): [p.amount, p.out_of_region]
           for inst in facts.institutions for p in inst.payouts}
    assert {key[1] for key in got} == {YEAR - 3, YEAR - 2, YEAR - 1}
    assert got == {key: sums for key, sums in expected.items() if key[0] in judged}
    assert all(p.month.month == 1 and p.month.day == 1 for inst in facts.institutions for p in inst.payouts)
