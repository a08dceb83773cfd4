"""14§: record a per-year override of a profile parameter, with its approval reference."""
from __future__ import annotations

import json
from typing import Any

from ..models import Department, PolicyOverride
from ..policy.profile import PolicyProfile
from ..profiles import Override, ProfileError
from ..validation import YEAR_MAX, YEAR_MIN
from .errors import ServiceError
from .rules import effective_profile
from .unit_of_work import region_step


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
    with region_step(sessions, user, region_code, year, Department.ADMINISTRATION, Department.FINANCE,
                     Department.ADMINISTRATOR) as step:
        try:
            profile = effective_profile(step.session, step.region, year, Override(parameter, value, approval_ref))
        except ProfileError as err:
            raise ServiceError(f"{parameter}：" + "；".join(m for _, m in err.problems), "parameter") from None
        step.session.add(PolicyOverride(region_id=step.region.id, year=year, parameter=parameter,
                                        value_json=json.dumps(value, ensure_ascii=False), approval_ref=approval_ref,
                                        recorded_by=step.actor.username))
        return profile
