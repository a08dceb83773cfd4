"""Bureau staff and officials: who they are, the department whose duty they carry (24§), how they
sign in, and which regions' data they may see and change."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, enum_type, utcnow
from ..policy.departments import DEPARTMENT_CN, Department  # noqa: F401  (re-exported)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    department: Mapped[Department] = mapped_column(enum_type(Department, "department"))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # werkzeug scrypt; none: cannot sign in
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # issue 28: a screen session carries this; signing out, a password change, a reset or disabling the
    # account bumps it, so every session (and a copied cookie) of the account ends
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")


class StaffRegion(Base):
    """A pooling region whose data a member of staff may see and act on (granted by an administrator)."""

    __tablename__ = "staff_region"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(60))
    granted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ApiToken(Base):
    """A bearer token acting as its member of staff (the console's login, later other systems).
    Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class LoginAttempt(Base):
    """Each sign-in attempt: the rate limit counts recent failures here, shared by every web process."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_at", "username", "at"),
                      Index("ix_login_attempt_remote_at", "remote", "at"))  # failures per address (issue 28)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60))
    remote: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ok: Mapped[bool]
