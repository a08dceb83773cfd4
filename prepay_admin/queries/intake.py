"""The read side of data intake: a kind's recorded rows in the import layout (an export to edit and
import back), and the region's import history."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from ..intake.kinds import KINDS
from ..models import DataCorrection, DataImport, Institution
from ..services.errors import ServiceError
from ..services.imports import TARGETS, kind_of
from ..services.unit_of_work import find_region

EXPORT_BATCH = 5000


def exported(sessions: sessionmaker, region_code: str, kind_name: str,
             month: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """Every recorded row of the kind in the region, as records of the kind's columns, streamed
    (the monthly settlement: one month's, ``month`` being its first day)."""
    kind, target = kind_of(kind_name), TARGETS[kind_name]
    if not kind.exportable:
        raise ServiceError(f"{kind.title}不导出：结算ID、就诊ID只保存其摘要，无法还原", "kind")
    fields = [c.field for c in kind.columns]
    with sessions() as session:
        region = find_region(session, region_code)
        model = target.model
        if kind.name == "institutions":
            query = select(model).where(model.region_id == region.id).order_by(model.code)
            for m in session.scalars(query.execution_options(yield_per=EXPORT_BATCH)):
                yield {f: m.code if f == "institution_code" else getattr(m, f) for f in fields}
        elif target.region_scoped:
            query = select(model).where(model.region_id == region.id).order_by(*[getattr(model, k) for k in target.key])
            for m in session.scalars(query):
                yield {f: getattr(m, f) for f in fields}
        else:
            query = (select(model, Institution.code).join(Institution, Institution.id == model.institution_id)
                     .where(Institution.region_id == region.id)
                     .order_by(Institution.code, *[getattr(model, k) for k in target.key[1:]]))
            if kind.name == "settlement":
                if month is None:
                    raise ServiceError("月度结算须指定导出的结算年月", "month")
                query = query.where(model.month == month)
            for m, code in session.execute(query.execution_options(yield_per=EXPORT_BATCH)):
                yield {f: code if f == "institution_code" else getattr(m, f) for f in fields}


@dataclass(frozen=True)
class ImportLine:
    id: int
    kind: str
    title: str
    file_name: str
    sha256: str
    rows: int
    added: int
    changed: int
    unchanged: int
    correction: bool
    reason: str | None
    imported_by: str
    imported_at: dt.datetime
    corrections: int


def import_history(sessions: sessionmaker, region_code: str, limit: int = 100) -> tuple[ImportLine, ...]:
    with sessions() as session:
        region = find_region(session, region_code)
        corrected = dict(session.execute(select(DataCorrection.import_id, func.count()).join(DataImport).where(
            DataImport.region_id == region.id).group_by(DataCorrection.import_id)).all())
        return tuple(ImportLine(i.id, i.kind, KINDS[i.kind].title if i.kind in KINDS else i.kind, i.file_name,
                                i.file_sha256, i.rows, i.added, i.changed, i.unchanged, i.correction, i.reason,
                                i.imported_by, i.imported_at, corrected.get(i.id, 0))
                     for i in session.scalars(select(DataImport).where(DataImport.region_id == region.id)
                                              .order_by(DataImport.id.desc()).limit(limit)))
