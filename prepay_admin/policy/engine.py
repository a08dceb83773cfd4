"""The rules engine: a region's funds and institutions in, every decision with its reasons out."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import amount as amt
from .eligibility import judge
from .facts import Fund, InstitutionFacts, RegionFacts
from .money import ZERO
from .profile import PolicyProfile
from .reasons import Reason, reason
from .solvency import FundGate, assess_fund


@dataclass(frozen=True)
class InstitutionResult:
    code: str
    name: str
    eligible: bool
    reasons: tuple[Reason, ...]  # why it is refused (empty when eligible)
    notes: tuple[Reason, ...]  # what staff must know about a listing, e.g. security_pending
    months: Decimal | None
    ratio: Decimal | None
    resident_share: Decimal | None
    advances: tuple[amt.Advance, ...]

    @property
    def total(self) -> Decimal:
        return sum((a.amount for a in self.advances), ZERO)


@dataclass(frozen=True)
class Evaluation:
    year: int
    profile: str
    funds: tuple[FundGate, ...]
    institutions: tuple[InstitutionResult, ...]

    def total_for(self, fund: Fund | None = None) -> Decimal:
        return sum(
            (a.amount for r in self.institutions for a in r.advances if fund is None or a.fund == fund),
            ZERO,
        )


def evaluate_institution(
    inst: InstitutionFacts, year: int, gates: tuple[FundGate, ...], profile: PolicyProfile
) -> InstitutionResult:
    verdict = judge(inst, year, profile)
    if not verdict.eligible:
        return InstitutionResult(inst.code, inst.name, False, verdict.reasons, (), None, None, None, ())
    share = amt.resident_share(inst.payouts, year, profile)
    months = amt.months_for(inst.performance_score, share, profile)
    ratio = amt.ratio_for(inst.credit_grade, profile)
    uncapped = tuple(
        amt.advance(gate.fund, amt.monthly_base(inst.payouts, gate.fund, year, profile, inst.settled_since),
                    months, ratio, gate.open, profile)
        for gate in gates
    )
    # 13§: one security caps both funds together
    advances = amt.cap_jointly(uncapped, inst.security, profile)
    notes: tuple[Reason, ...] = ()
    if inst.security is None and profile.eligibility.security_required and any(a.amount > 0 for a in advances):
        # 10§(二), 15§(三): listed uncapped; the security is registered in the signing window
        notes = (reason("security_pending", profile.citations),)
    return InstitutionResult(inst.code, inst.name, True, (), notes, months, ratio, share, advances)


def evaluate(region: RegionFacts, profile: PolicyProfile) -> Evaluation:
    gates = tuple(assess_fund(p, profile) for p in region.funds)
    results = tuple(evaluate_institution(i, region.year, gates, profile) for i in region.institutions)
    return Evaluation(region.year, profile.name, gates, results)
