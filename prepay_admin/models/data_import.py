"""The record of every import (what, from which file, by whom, with what effect), the earlier
versions a correction replaced, and uploads waiting on screen for their preview to be confirmed."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, utcnow


class DataImport(Base):
    __tablename__ = "data_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    added: Mapped[int]
    changed: Mapped[int]
    unchanged: Mapped[int]
    correction: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(String(500))
    imported_by: Mapped[str] = mapped_column(String(60))
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DataCorrection(Base):
    """One recorded value replaced by a correction import: before and after, with the import's reason."""

    __tablename__ = "data_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("data_import.id"), index=True)
    record_key: Mapped[str] = mapped_column(String(200))
    before_json: Mapped[str] = mapped_column(Text)
    after_json: Mapped[str] = mapped_column(Text)


class ImportUpload(Base):
    """A file uploaded on screen and previewed; confirming imports exactly these bytes."""

    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(60))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
