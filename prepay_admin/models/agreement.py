"""16§: the prepayment agreement, normally three years, covering the determinations of those years."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class Agreement(Base):
    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    agreement_no: Mapped[str] = mapped_column(String(60), unique=True)
    first_year: Mapped[int]
    last_year: Mapped[int]
    signed_on: Mapped[dt.date] = mapped_column(Date)
    signed_by: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(20))
