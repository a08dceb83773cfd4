"""Evaluate a region's campaign year from the database through the rules engine."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from ..policy.engine import Evaluation, evaluate
from ..policy.facts import RegionFacts
from ..policy.profile import PolicyProfile
from .facts import get_region, region_facts
from .policy import profile_for


@dataclass(frozen=True)
class RegionEvaluation:
    region_code: str
    region_name: str
    facts: RegionFacts
    profile: PolicyProfile
    evaluation: Evaluation


def evaluate_region(sessions: sessionmaker, region_code: str, year: int) -> RegionEvaluation:
    with sessions() as session:
        region = get_region(session, region_code)
        profile = profile_for(session, region, year)
        facts = region_facts(session, region, year, profile)
    return RegionEvaluation(region.code, region.name, facts, profile, evaluate(facts, profile))
