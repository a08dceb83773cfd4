"""Documents the bureau issued (a register that proves what was issued) and regions' own templates."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, utcnow


class IssuedDocument(Base):
    """One generated file: what it is, for whom, the SHA-256 of its bytes, the data it was generated from.
    A regenerated document supersedes the earlier one, which stays here."""

    __tablename__ = "issued_document"
    __table_args__ = (Index("ix_issued_document_sha256", "sha256"),
                      Index("ix_issued_document_region_id_kind_subject", "region_id", "kind", "subject"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(100))  # what it is about: e.g. 2026/H32060000001, receivable 7
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    year: Mapped[int | None]
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    source_json: Mapped[str] = mapped_column(Text)  # the data it was generated from
    template_sha256: Mapped[str] = mapped_column(String(64))
    generated_by: Mapped[str] = mapped_column(String(60))
    generated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("issued_document.id"))
    # the file as issued (issue 30: every role of the region reads it without issuing it again); None for
    # documents registered before the register kept files (0019). Loaded only when asked for.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class RegionTemplate(Base):
    """A region's own edited copy of a document's template; the latest uploaded is used."""

    __tablename__ = "region_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(60))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
