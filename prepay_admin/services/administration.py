"""The administrator's duties on screens and through the API (24§, 管理员): members of staff and
the regions granted to them, passwords, disabling, and the tokens other systems act with.

Each runs as one step of an authenticated administrator, who may act only within the regions
granted to themselves: an administrator of one bureau cannot reach another bureau's staff.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..clock import utcnow
from ..models import ApiToken, AuditEvent, Staff, StaffRegion
from ..policy.departments import Department
from . import identity
from .errors import NotFound, ServiceError
from .unit_of_work import Step, staff_step


def _own_regions(step: Step) -> set[str]:
    return set(step.session.scalars(select(StaffRegion.region_code).where(StaffRegion.staff_id == step.actor.id)))


def _check_regions(step: Step, regions: tuple[str, ...]) -> None:
    outside = sorted(set(regions) - _own_regions(step))
    if outside:
        raise ServiceError(f"无权授予统筹地区 {'、'.join(outside)}（只能授予本人所辖统筹地区）", "regions")


def _managed(step: Step, username: str) -> Staff:
    """A member of staff the administrator may manage: one every region of whom the administrator
    manages too, or one with no region (issue 28: an administrator of B reset the password of, and
    issued a token for, a user granted A and B, and used it in A). Someone who shares no region with
    the administrator is not found; someone who also works in another region is refused, saying so."""
    person = step.session.scalar(select(Staff).where(Staff.username == username))
    if person is None:
        raise NotFound(f"用户 {username} 不存在", "username")
    theirs = set(step.session.scalars(select(StaffRegion.region_code).where(StaffRegion.staff_id == person.id)))
    own = _own_regions(step)
    if theirs and not theirs & own:
        raise NotFound(f"用户 {username} 不存在", "username")
    if theirs - own:
        raise ServiceError(f"用户 {username} 还被授予了您不管辖的统筹地区，须由管辖其全部统筹地区的管理员办理",
                           "username")
    if person.id == step.actor.id:
        raise ServiceError("不能在此管理本人账号（修改本人密码请用“修改密码”）", "username")
    return person


def create_user(sessions: sessionmaker, by: str, username: str, name: str, department: Department, password: str,
                regions: tuple[str, ...]) -> None:
    with staff_step(sessions, by, Department.ADMINISTRATOR) as step:
        if not regions:
            raise ServiceError("至少授予一个统筹地区", "regions")
        _check_regions(step, regions)
        identity.create_user_in(step.session, username, name, department, password, regions, by)


def reset_password(sessions: sessionmaker, by: str, username: str, password: str) -> None:
    with staff_step(sessions, by, Department.ADMINISTRATOR) as step:
        _managed(step, username)
        identity.set_password_in(step.session, username, password, by)


def disable(sessions: sessionmaker, by: str, username: str) -> None:
    with staff_step(sessions, by, Department.ADMINISTRATOR) as step:
        _managed(step, username)
        identity.disable_user_in(step.session, username, by)


def grant(sessions: sessionmaker, by: str, username: str, region_code: str) -> None:
    with staff_step(sessions, by, Department.ADMINISTRATOR) as step:
        _managed(step, username)
        _check_regions(step, (region_code,))
        identity.grant_region_in(step.session, username, region_code, by)


def issue_token(sessions: sessionmaker, by: str, username: str, name: str) -> str:
    """A token for another system acting as ``username``; shown once, stored as its hash."""
    if not name.strip() or len(name) > 100:
        raise ServiceError("令牌用途须为 1—100 个字符", "name")
    with staff_step(sessions, by, Department.ADMINISTRATOR) as step:
        _managed(step, username)
        return identity.issue_token_in(step.session, username, name.strip(), by)


def revoke_token(sessions: sessionmaker, by: str, token_id: int) -> None:
    with staff_step(sessions, by, Department.ADMINISTRATOR) as step:
        token = step.session.get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"没有令牌 {token_id}", "token")
        _managed(step, step.session.get(Staff, token.staff_id).username)  # another bureau's token: not found
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            step.session.add(AuditEvent(actor=by, kind="token", detail=f"吊销令牌“{token.name}”"))

