"""Which rules apply to a region's year: its stored profile version plus the overrides in force (14§).

``effective_profile`` is the one function that resolves the rules of a (region, year); every step of
that year's cycle gets its profile from it (through the campaign-step context), so an approved
override changes every step, and so do the queries that show that year. A campaign keeps the profile
version it was opened with for its whole year; before it opens, the year runs on the latest version
of the region's profile (or the version staff choose when they open it). Overrides are kept, never
overwritten: for each parameter the latest recorded is in force.
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, PolicyOverride, Region, StoredProfile
from ..policy.profile import PolicyProfile
from ..profiles import Override, ProfileError, profile_from_text


def overrides_in_force(session: Session, region: Region, year: int) -> list[Override]:
    """The latest override of each parameter for the year, in parameter order."""
    latest: dict[str, PolicyOverride] = {}
    for row in session.scalars(select(PolicyOverride).where(
            PolicyOverride.region_id == region.id, PolicyOverride.year == year).order_by(PolicyOverride.id)):
        latest[row.parameter] = row
    return [Override(p, json.loads(r.value_json), r.approval_ref) for p, r in sorted(latest.items())]


def stored_profile(session: Session, name: str, version: int | None = None) -> StoredProfile:
    """A stored profile version (``None``: the latest of the name); refused naming what is stored."""
    query = select(StoredProfile).where(StoredProfile.name == name)
    found = session.scalar(query.where(StoredProfile.version == version) if version is not None
                           else query.order_by(StoredProfile.version.desc()).limit(1))
    if found is None:
        names = session.scalars(select(StoredProfile.name).distinct().order_by(StoredProfile.name)).all()
        what = f"{name} 第 {version} 版" if version is not None else name
        raise ProfileError(name, [("/", f"没有名为 {what} 的政策参数方案（已存方案：{'、'.join(names) or '无'}）")])
    return found


def profile_version_for(session: Session, region: Region, year: int, version: int | None = None) -> StoredProfile:
    """The campaign keeps the version it was opened with; before it opens, the region's profile at
    ``version`` (staff's choice when they open it), by default the latest."""
    opened = session.execute(select(Campaign.profile, Campaign.profile_version).where(
        Campaign.region_id == region.id, Campaign.year == year)).first()
    if opened is not None:
        return stored_profile(session, opened.profile, opened.profile_version)
    return stored_profile(session, region.profile, version)


def effective_profile(session: Session, region: Region, year: int, proposed: Override | None = None,
                      version: int | None = None) -> PolicyProfile:
    """The rules of a region's year: its profile version with the year's overrides applied (14§).

    With ``proposed``, the rules as they would be with that override in force (it replaces any of
    the same parameter): how a new override is validated before it is recorded. With ``version``, a
    year not opened yet resolved on that version of the region's profile (opening it on staff's choice).
    """
    overrides = overrides_in_force(session, region, year)
    if proposed is not None:
        overrides = [*(o for o in overrides if o.path != proposed.path), proposed]
    return profile_from_text(profile_version_for(session, region, year, version).content, overrides)
