"""What an administrator sees: the members of staff of their regions (with roles and regions) and
the tokens that act as them. Never a password hash or a token."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..models import DEPARTMENT_CN, ApiToken, Staff, StaffRegion


@dataclass(frozen=True)
class UserLine:
    username: str
    name: str
    department: str  # in Chinese
    active: bool
    regions: tuple[str, ...]
    password_set: bool


@dataclass(frozen=True)
class TokenLine:
    id: int
    username: str
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class Staffing:
    users: tuple[UserLine, ...]
    tokens: tuple[TokenLine, ...]


def staffing(sessions: sessionmaker, administrator: str) -> Staffing:
    """The staff who share a region with ``administrator`` (or have none yet), and their tokens."""
    with sessions() as session:
        me = session.scalar(select(Staff.id).where(Staff.username == administrator))
        mine = set(session.scalars(select(StaffRegion.region_code).where(StaffRegion.staff_id == me)))
        regions: dict[int, list[str]] = {}
        for staff_id, code in session.execute(select(StaffRegion.staff_id, StaffRegion.region_code)
                                              .order_by(StaffRegion.region_code)):
            regions.setdefault(staff_id, []).append(code)
        people = [p for p in session.scalars(select(Staff).order_by(Staff.username))
                  if not regions.get(p.id) or set(regions[p.id]) & mine]
        ids = {p.id: p.username for p in people}
        users = tuple(UserLine(p.username, p.name, DEPARTMENT_CN[p.department], p.active,
                               tuple(regions.get(p.id, ())), p.password_hash is not None) for p in people)
        tokens = tuple(TokenLine(t.id, ids[t.staff_id], t.name, t.created_at, t.expires_at, t.revoked_at)
                       for t in session.scalars(select(ApiToken).where(ApiToken.staff_id.in_(ids))
                                                .order_by(ApiToken.id.desc())))
        return Staffing(users, tokens)
