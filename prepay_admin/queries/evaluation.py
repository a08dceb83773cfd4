"""Evaluate a region's campaign year from the database through the rules engine."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from accounting.collector import collector_paused

from ..policy.engine import Evaluation, evaluate
from ..policy.facts import RegionFacts
from ..policy.profile import PolicyProfile
from ..services.facts import region_facts
from ..services.rules import effective_profile
from ..services.unit_of_work import find_region


@dataclass(frozen=True)
class RegionEvaluation:
    region_code: str
    region_name: str
    facts: RegionFacts
    profile: PolicyProfile
    evaluation: Evaluation


def evaluate_region(sessions: sessionmaker, region_code: str, year: int) -> RegionEvaluation:
    """The what-if of a region's year: every institution's facts and the rules over them (a bulk read:
    the collector is paused for it, see ``accounting.collector``)."""
    with collector_paused():
        with sessions() as session:
            region = find_region(session, region_code)
            profile = effective_profile(session, region, year)
            facts = region_facts(session, region, year, profile)
        return RegionEvaluation(region.code, region.name, facts, profile, evaluate(facts, profile))
