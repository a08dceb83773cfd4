"""A mutating API call's first answer, kept under its Idempotency-Key so a retry gets the same answer."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, utcnow


class ApiRequest(Base):
    __tablename__ = "api_request"
    __table_args__ = (UniqueConstraint("staff_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body: the same key with another is 409
    status: Mapped[int]
    response_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
