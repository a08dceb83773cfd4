"""The demo region as import files, one per kind, as a bureau would prepare them: importing them
into an empty database gives the region ``demo load`` makes with the same seed (securities are
registered in the signing window, so the demo's security file has only its header)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

from .. import clock
from ..intake.kinds import KINDS
from ..intake.writing import data_csv, data_xlsx
from .discharges import (
    deposit_tables_effective,
    plan_complaints,
    plan_deposit_tables,
    plan_discharges,
    plan_payment_standards,
)
from .generator import InstitutionPlan, fund_positions, plan_region

FILES = {"institutions": "institutions.xlsx", "standings": "standings.xlsx", "conditions": "conditions.xlsx",
         "bars": "bars.xlsx", "securities": "securities.xlsx", "funds": "funds.xlsx", "settlement": "settlement.csv",
         "discharges": "discharges.csv", "payment-standards": "payment-standards.csv",
         "deposit-tables": "deposit-tables.csv", "complaints": "complaints.csv"}
ORDER = tuple(FILES)  # institutions first: the others name them


def write_demo_files(out: Path, institutions: int, seed: int, year: int, region_code: str,
                     progress: Callable[[int], None] = lambda n: None) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    prefix = region_code[:4]

    def plans() -> Iterator[InstitutionPlan]:
        return plan_region(seed, institutions, year, prefix)

    rows: dict[str, Callable[[], Iterator[dict[str, Any]]]] = {
        "institutions": lambda: ({"institution_code": p.code, "name": p.name, "credit_code": p.credit_code,
                                  "kind": p.kind, "level": p.level, "state_run": p.state_run,
                                  "settled_since": p.settled_since, "bank_name": p.bank_name,
                                  "bank_account": p.bank_account} for p in plans()),
        "standings": lambda: ({"institution_code": p.code, "year": year, "assessment": p.assessment,
                               "performance_score": p.performance_score, "credit_grade": p.credit_grade}
                              for p in plans()),
        "conditions": lambda: ({"institution_code": p.code, "year": year, "flag": f, "evidence": "演示数据",
                                "registered_on": f"{year - 1}-11-30"} for p in plans() for f in sorted(p.flags)),
        "bars": lambda: ({"institution_code": p.code, "since": p.bar.since, "until": p.bar.until,
                          "reason": "提供虚假财务报表骗取预付金（演示数据）", "decision_ref": "演示〔处〕1号"}
                         for p in plans() if p.bar),
        "securities": lambda: iter(()),
        "funds": lambda: iter(fund_positions(year, institutions)),
        "settlement": lambda: ({"institution_code": p.code, "month": r.month, "fund": r.fund, "amount": r.amount,
                                "out_of_region": r.out_of_region} for p in _counted(plans(), progress)
                               for r in p.payouts),
        # DEPOSIT.md item 9: three years of its hospitals' inpatient settlements and this year's months so far,
        # the groups' payment standards, the hospitals' published deposit tables
        "discharges": lambda: plan_discharges(seed, plans(), year, region_code, through=clock.today()),
        "payment-standards": lambda: plan_payment_standards(year),
        "deposit-tables": lambda: plan_deposit_tables(seed, plans(), deposit_tables_effective(year)),
        "complaints": lambda: plan_complaints(seed, plans(), clock.today(), year),
    }
    written = {}
    for kind_name in ORDER:
        path = out / FILES[kind_name]
        with path.open("wb") as stream:
            (data_csv if path.suffix == ".csv" else data_xlsx)(KINDS[kind_name], rows[kind_name](), stream)
        written[kind_name] = path
    return written


def _counted(plans: Iterator[InstitutionPlan], progress: Callable[[int], None]) -> Iterator[InstitutionPlan]:
    for plan in plans:
        yield plan
        progress(1)
