"""Which rules apply to a region's year: its profile plus the overrides in force for it (14§).

``effective_profile`` is the one function that resolves the rules of a (region,
year); every step of that year's cycle gets its profile from it (through the
campaign-step context), so an approved override changes every step, and so do
the queries that show that year. Overrides are kept, never overwritten: for each
parameter the latest recorded is in force.
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, PolicyOverride, Region
from ..policy.profile import PolicyProfile
from ..profiles import Override, load_profile


def overrides_in_force(session: Session, region: Region, year: int) -> list[Override]:
    """The latest override of each parameter for the year, in parameter order."""
    latest: dict[str, PolicyOverride] = {}
    for row in session.scalars(select(PolicyOverride).where(
            PolicyOverride.region_id == region.id, PolicyOverride.year == year).order_by(PolicyOverride.id)):
        latest[row.parameter] = row
    return [Override(p, json.loads(r.value_json), r.approval_ref) for p, r in sorted(latest.items())]


def profile_name_for(session: Session, region: Region, year: int) -> str:
    """The campaign keeps the profile it was opened with; before it opens, the region's."""
    opened = session.scalar(select(Campaign.profile).where(Campaign.region_id == region.id, Campaign.year == year))
    return opened or region.profile


def effective_profile(session: Session, region: Region, year: int, proposed: Override | None = None) -> PolicyProfile:
    """The rules of a region's year: its profile with the year's overrides applied (14§).

    With ``proposed``, the rules as they would be with that override in force (it replaces any of
    the same parameter): how a new override is validated before it is recorded.
    """
    overrides = overrides_in_force(session, region, year)
    if proposed is not None:
        overrides = [*(o for o in overrides if o.path != proposed.path), proposed]
    return load_profile(profile_name_for(session, region, year), overrides)
