"""Which rules apply to a region's year: its profile plus the overrides in force for it (14§).

``effective_profile`` is the one function that resolves the rules of a (region,
year); every step of that year's cycle gets its profile from it (through the
campaign-step context), so an approved override changes every step.
Overrides are kept, never overwritten: each is a row with its approval, who
and when; for each parameter the latest recorded is in force.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, Department, PolicyOverride, Region
from ..policy.profile import PolicyProfile
from ..profiles import Override, ProfileError, load_profile
from ..validation import YEAR_MAX, YEAR_MIN
from .errors import ServiceError
from .unit_of_work import region_step


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


def effective_profile(session: Session, region: Region, year: int) -> PolicyProfile:
    """The rules of a region's year: its profile with the year's overrides applied (14§)."""
    return load_profile(profile_name_for(session, region, year), overrides_in_force(session, region, year))


@dataclass(frozen=True)
class OverrideLine:
    parameter: str
    value: Any
    approval_ref: str
    recorded_by: str
    recorded_at: Any
    in_force: bool


def record_override(sessions, region_code: str, year: int, parameter: str, value: Any, approval_ref: str,
                    user: str) -> PolicyProfile:
    """Record one parameter's value for a year (administration staff: 14§ needs the province's
    approval); refused unless the resulting profile validates. Returns the profile now in force."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ServiceError(f"年度须在 {YEAR_MIN}—{YEAR_MAX} 之间", "year")
    if not approval_ref.strip():
        raise ServiceError("调整参数须记录批准文号（14§）", "approval")
    if len(approval_ref) > 200:
        raise ServiceError("批准文号不能超过 200 个字符", "approval")
    with region_step(sessions, user, region_code, year, Department.ADMINISTRATION, Department.FINANCE) as step:
        existing = [o for o in overrides_in_force(step.session, step.region, year) if o.path != parameter]
        try:
            profile = load_profile(profile_name_for(step.session, step.region, year),
                                   [*existing, Override(parameter, value, approval_ref)])
        except ProfileError as err:
            raise ServiceError(f"{parameter}：" + "；".join(m for _, m in err.problems), "parameter") from None
        step.session.add(PolicyOverride(region_id=step.region.id, year=year, parameter=parameter,
                                        value_json=json.dumps(value, ensure_ascii=False), approval_ref=approval_ref,
                                        recorded_by=step.actor.username))
        return profile
