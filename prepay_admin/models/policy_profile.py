"""A policy profile as a bureau brought it: the whole TOML text, versioned and never changed.

A revision of a region's rules is a new version of the same name; an old version is only ever
superseded (the table is append-only, guarded by the database as the ledger is). A campaign records
the name, version and SHA-256 of the one it was opened with, and keeps it for its whole year.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, utcnow


class StoredProfile(Base):
    __tablename__ = "policy_profile"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))  # the source text it implements
    content: Mapped[str] = mapped_column(Text)  # the TOML text exactly as added
    sha256: Mapped[str] = mapped_column(String(64))  # of the content's UTF-8 bytes
    added_by: Mapped[str] = mapped_column(String(60))  # a member of staff, or "packaged" at db upgrade
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
