"""What happened and what is due: recorded transitions, scheduler run claims, notices to staff."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, utcnow


class Transition(Base):
    """Every change of state of a workflow object: who, when, from, to, why."""

    __tablename__ = "transition"
    __table_args__ = (Index("ix_transition_machine_object_id", "machine", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    machine: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(60))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(String(500), default="")


class JobRun(Base):
    """A scheduler job's claim on one period: whoever inserts it first does the work."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))
    claimed_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    result: Mapped[str | None] = mapped_column(Text)


class Notice(Base):
    """A reminder or warning for staff; ``key`` makes a repeated job write it once."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))  # reminder, warning
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # whom it is for (issue 30, the to-do list): the region it is about (None: the whole service) and the
    # department that acts on it (None: everyone of the region)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    department: Mapped[str | None] = mapped_column(String(30))


class AuditEvent(Base):
    """What the transition log does not hold: refused actions, sign-ins and operator commands."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(60))  # a username, or the OS login of an operator
    kind: Mapped[str] = mapped_column(String(30))  # refused, login, login_failed, operator, token
    detail: Mapped[str] = mapped_column(String(500))


class VerifiedHead(Base):
    """Each book's hash-chain head as the last nightly check that found nothing verified it: the next
    night recomputes only the links after it (the whole chain on Sundays, the 1st of the month, and by
    ``prepay-admin ledger verify``). What protects it against the database's owner are the anchors kept
    outside the database (``ledger anchors``)."""

    __tablename__ = "verified_head"

    book_id: Mapped[int] = mapped_column(ForeignKey("ledger_book.id"), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    verified_on: Mapped[dt.date] = mapped_column(Date)
    verified_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
