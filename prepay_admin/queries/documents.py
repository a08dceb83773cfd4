"""The document register and the templates in use, as staff read them."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from ..models import Institution, IssuedDocument, RegionTemplate
from ..services.documents import REGISTRY, registered
from ..services.errors import NotFound
from ..services.unit_of_work import find_region
from .audit_trail import staff_names


@dataclass(frozen=True)
class TemplateInUse:
    kind: str
    title: str
    article: str
    own: bool  # the region's own edited copy (else the packaged one)
    sha256: str
    uploaded_by: str | None
    uploaded_at: dt.datetime | None
    provides: tuple[str, ...]


def templates_in_use(sessions: sessionmaker, region_code: str) -> tuple[TemplateInUse, ...]:
    with sessions() as session:
        region = find_region(session, region_code)
        latest = {}
        for t in session.scalars(select(RegionTemplate).where(RegionTemplate.region_id == region.id)
                                 .order_by(RegionTemplate.id)):
            latest[t.kind] = t
        names = staff_names(session)
        out = []
        for kind in (entry.kind for entry in REGISTRY.values()):
            own = latest.get(kind.name)
            out.append(TemplateInUse(kind.name, kind.title, kind.article, own is not None,
                                     own.sha256 if own else hashlib.sha256(kind.packaged_template()).hexdigest(),
                                     names.get(own.uploaded_by, own.uploaded_by) if own else None,
                                     own.uploaded_at if own else None, tuple(sorted(kind.provides))))
        return tuple(out)


def template_file(sessions: sessionmaker, region_code: str, kind_name: str) -> bytes:
    """The template a region's documents of ``kind_name`` are filled from now (to edit in Word or WPS)."""
    kind = registered(kind_name).kind
    with sessions() as session:
        region = find_region(session, region_code)
        own = session.scalar(select(RegionTemplate.content).where(RegionTemplate.region_id == region.id,
                                                                  RegionTemplate.kind == kind.name)
                             .order_by(RegionTemplate.id.desc()).limit(1))
        return own if own is not None else kind.packaged_template()


@dataclass(frozen=True)
class RegisterLine:
    id: int
    kind: str
    title: str
    subject: str
    institution: str | None
    file_name: str
    sha256: str
    generated_by: str
    generated_at: dt.datetime
    superseded_by_id: int | None
    kept: bool = True  # the file as issued is in the register (documents before 0019: only its hash)


@dataclass(frozen=True)
class Register:
    rows: tuple[RegisterLine, ...]
    count: int


def register(sessions: sessionmaker, region_code: str, page: int = 1, size: int = 50,
             kind: str | None = None) -> Register:
    """Every document issued in the region, newest first; superseded ones stay, marked."""
    with sessions() as session:
        region = find_region(session, region_code)
        where = [IssuedDocument.region_id == region.id]
        if kind:
            where.append(IssuedDocument.kind == kind)
        count = session.scalar(select(func.count()).select_from(IssuedDocument).where(*where))
        names = staff_names(session)
        rows = session.execute(
            select(IssuedDocument, Institution.name, IssuedDocument.content.is_not(None))
            .outerjoin(Institution, Institution.id == IssuedDocument.institution_id)
            .where(*where).order_by(IssuedDocument.id.desc()).offset((page - 1) * size).limit(size))
        return Register(tuple(RegisterLine(d.id, d.kind, REGISTRY[d.kind].title if d.kind in REGISTRY else d.kind, d.subject,
                                           name, d.file_name, d.sha256, names.get(d.generated_by, d.generated_by),
                                           d.generated_at, d.superseded_by_id, bool(kept))
                              for d, name, kept in rows), count)


@dataclass(frozen=True)
class IssuedFile:
    id: int
    kind: str
    file_name: str
    sha256: str
    data: bytes
    superseded_by_id: int | None


def issued_file(sessions: sessionmaker, region_code: str, document_id: int) -> IssuedFile:
    """A document of the region's register, as it was issued (issue 30: every role of the region reads
    what it signs or checks, without issuing it again). Another region's is not found."""
    with sessions() as session:
        region = find_region(session, region_code)
        doc = session.get(IssuedDocument, document_id)
        if doc is None or doc.region_id != region.id:
            raise NotFound(f"文书登记簿中没有第 {document_id} 号", "document")
        if doc.content is None:
            raise NotFound(f"第 {document_id} 号文书登记于文书存档之前，未留存文件；"
                           f"其 SHA-256 为 {doc.sha256}，请向出具部门索取", "document")
        return IssuedFile(doc.id, doc.kind, doc.file_name, doc.sha256, doc.content, doc.superseded_by_id)
