"""Policy profiles as in force for a region's year, with every override and its approval."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..models import Campaign, PolicyOverride
from ..policy.profile import PolicyProfile
from ..services.rules import effective_profile, profile_version_for
from ..services.unit_of_work import find_region


@dataclass(frozen=True)
class OverrideRecord:
    parameter: str
    value: Any
    approval_ref: str
    recorded_by: str
    recorded_at: dt.datetime
    in_force: bool  # the latest of its parameter


@dataclass(frozen=True)
class ProfileInForce:
    region_code: str
    year: int
    profile: PolicyProfile
    history: tuple[OverrideRecord, ...]  # oldest first
    version: int  # the stored version the year runs on (the campaign's, or before it opens the latest)
    sha256: str
    opened: bool  # a campaign keeps this version for the year; before it opens, a newer one would be taken


def profile_in_force(sessions: sessionmaker, region_code: str, year: int) -> ProfileInForce:
    with sessions() as session:
        region = find_region(session, region_code)
        rows = session.scalars(select(PolicyOverride).where(
            PolicyOverride.region_id == region.id, PolicyOverride.year == year).order_by(PolicyOverride.id)).all()
        latest = {r.parameter: r.id for r in rows}
        history = tuple(OverrideRecord(r.parameter, json.loads(r.value_json), r.approval_ref, r.recorded_by,
                                       r.recorded_at, latest[r.parameter] == r.id) for r in rows)
        stored = profile_version_for(session, region, year)
        opened = session.scalar(select(Campaign.id).where(Campaign.region_id == region.id, Campaign.year == year))
        return ProfileInForce(region.code, year, effective_profile(session, region, year), history, stored.version,
                              stored.sha256, opened is not None)
