"""Bureau staff and officials, by the department whose duty they carry (24§)."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, enum_type
from ..policy.departments import DEPARTMENT_CN, Department  # noqa: F401  (re-exported)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    department: Mapped[Department] = mapped_column(enum_type(Department, "department"))
