"""14§: a per-year change of a profile parameter, with its approval reference."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, utcnow


class PolicyOverride(Base):
    """Kept, never overwritten: for each parameter the latest recorded is in force."""

    __tablename__ = "policy_override"
    __table_args__ = (Index("ix_policy_override_region_id_year", "region_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    year: Mapped[int]
    parameter: Mapped[str] = mapped_column(String(80))  # "section.parameter", e.g. amount.minimum
    value_json: Mapped[str] = mapped_column(Text)  # the new value as JSON, validated with the profile
    approval_ref: Mapped[str] = mapped_column(String(200))  # 省级医保、财政部门会商批准文号
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
