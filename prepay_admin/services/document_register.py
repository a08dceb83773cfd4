"""The register of issued documents and a region's own templates: whether a file presented later is one
the bureau issued (byte for byte, by SHA-256) and which; uploading a region's edited template, refused
unless it uses only what its document provides (and renders in the sandbox)."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from agreements.rendering import TemplateProblem, variables

from ..models import Department, IssuedDocument, Region, RegionTemplate
from .documents import REGISTRY, registered
from .errors import ServiceError
from .unit_of_work import find_region, staff_step

MAX_BYTES = 20 * 2**20  # a presented file or an uploaded template larger than this is not one of ours


@dataclass(frozen=True)
class Verified:
    id: int
    kind: str
    title: str
    region_code: str
    subject: str
    file_name: str
    generated_by: str
    generated_at: dt.datetime
    superseded_by_id: int | None


def verify(sessions: sessionmaker, data: bytes) -> Verified | None:
    """Whether a presented file is one the bureau issued (byte for byte), and which; None if not."""
    digest = hashlib.sha256(data).hexdigest()
    with sessions() as session:
        row = session.execute(select(IssuedDocument, Region.code).join(Region, Region.id == IssuedDocument.region_id)
                              .where(IssuedDocument.sha256 == digest).order_by(IssuedDocument.id).limit(1)).first()
        if row is None:
            return None
        doc, region_code = row
        return Verified(doc.id, doc.kind, REGISTRY[doc.kind].title if doc.kind in REGISTRY else doc.kind, region_code,
                        doc.subject, doc.file_name, doc.generated_by, doc.generated_at, doc.superseded_by_id)


def upload_template(sessions: sessionmaker, region_code: str, kind_name: str, data: bytes, user: str) -> list[str]:
    """A region's own edited template (管理员): refused unless every variable it uses is one the document
    provides. Returns the variables it uses."""
    kind = registered(kind_name).kind
    with staff_step(sessions, user, Department.ADMINISTRATOR) as step:
        step.enter(find_region(step.session, region_code))
        if len(data) > MAX_BYTES:
            raise ServiceError("模板文件不能超过 20 MiB", "file")
        try:
            used = variables(data)
        except TemplateProblem as err:
            raise ServiceError(str(err), "file") from None
        unknown = sorted(used - kind.provides)
        if unknown:
            raise ServiceError(f"模板使用了{kind.title}没有的变量：{'、'.join(unknown)}"
                               f"（可用：{'、'.join(sorted(kind.provides))}）", "file")
        step.session.add(RegionTemplate(region_id=step.region.id, kind=kind.name, content=data,
                                        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=user))
    return sorted(used)
