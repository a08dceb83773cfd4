"""A pooling region (统筹地区): created once, with the policy profile it runs under and its two fund
books opened; an operator's command (like creating the first users), recorded with the OS login."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..models import AuditEvent, Region
from ..profiles import require_known
from .books import open_region_books_in
from .errors import ServiceError
from .rules import effective_profile


def check_region(code: str, name: str, profile: str) -> None:
    require_known(profile)
    if not code.strip() or len(code) > 12 or not code.isascii() or not code.isdigit():
        raise ServiceError("统筹地区编码须为 1—12 位数字（行政区划代码）", "region_code")
    if not name.strip() or len(name) > 100:
        raise ServiceError("统筹地区名称须为 1—100 个字符", "region_name")


def create_region_in(session: Session, code: str, name: str, profile: str, year: int) -> Region:
    """The region and its books (the chart of ``year``'s profile), inside the caller's transaction."""
    check_region(code, name, profile)
    if session.scalar(select(Region.id).where(Region.code == code)) is not None:
        raise ServiceError(f"统筹地区 {code} 已存在", "region_code")
    region = Region(code=code, name=name.strip(), profile=profile)
    session.add(region)
    session.flush()
    open_region_books_in(session, code, region.name, effective_profile(session, region, year))
    return region


def create_region(sessions: sessionmaker, code: str, name: str, profile: str, year: int, by: str) -> None:
    with sessions.begin() as session:
        create_region_in(session, code, name, profile, year)
        session.add(AuditEvent(actor=by[:60], kind="operator", detail=f"创建统筹地区 {code} {name}（{profile}）"))
