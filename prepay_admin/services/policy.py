"""Which rules apply to a region's year: its profile plus the overrides recorded for it (14§)."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..models import PolicyOverride, Region
from ..policy.profile import PolicyProfile
from ..profiles import Override, ProfileError, load_profile
from .errors import ServiceError
from .facts import get_region


def overrides_for(session: Session, region: Region, year: int) -> list[Override]:
    rows = session.scalars(
        select(PolicyOverride)
        .where(PolicyOverride.region_id == region.id, PolicyOverride.year == year)
        .order_by(PolicyOverride.parameter)
    )
    return [Override(r.parameter, json.loads(r.value_json), r.approval_ref) for r in rows]


def profile_for(session: Session, region: Region, year: int) -> PolicyProfile:
    return load_profile(region.profile, overrides_for(session, region, year))


def record_override(
    sessions: sessionmaker, region_code: str, year: int, parameter: str, value: Any, approval_ref: str, user: str
) -> PolicyProfile:
    """Record (or replace) one parameter's value for a year; refused unless the
    resulting profile validates. Returns the profile now in force."""
    with sessions.begin() as session:
        region = get_region(session, region_code)
        existing = [o for o in overrides_for(session, region, year) if o.path != parameter]
        try:
            profile = load_profile(region.profile, [*existing, Override(parameter, value, approval_ref)])
        except ProfileError as err:
            raise ServiceError("；".join(m for _, m in err.problems), parameter) from None
        row = session.scalar(select(PolicyOverride).where(
            PolicyOverride.region_id == region.id, PolicyOverride.year == year, PolicyOverride.parameter == parameter))
        if row is None:
            row = PolicyOverride(region_id=region.id, year=year, parameter=parameter)
            session.add(row)
        row.value_json = json.dumps(value, ensure_ascii=False)
        row.approval_ref = approval_ref
        row.recorded_by = user
        return profile
