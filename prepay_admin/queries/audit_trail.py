"""The audit trail (read-only): every transition of a region's workflows, and the audit events
(sign-ins, refusals, operator commands) for those who oversee the whole service."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ..models import (
    DEPARTMENT_CN,
    Agreement,
    Application,
    AuditEvent,
    Campaign,
    Determination,
    Institution,
    PaymentBatch,
    PaymentInstruction,
    Region,
    Staff,
    Transition,
)
from ..policy.transitions import MACHINES

LABELS = {m.name: m for m in MACHINES}
PAGE = 100


@dataclass(frozen=True)
class TrailLine:
    at: dt.datetime
    who: str
    what: str  # the workflow, in Chinese
    object_id: int
    action: str
    from_state: str | None
    to_state: str
    reason: str


@dataclass(frozen=True)
class EventLine:
    at: dt.datetime
    actor: str
    kind: str
    detail: str


@dataclass(frozen=True)
class Trail:
    region_code: str
    lines: tuple[TrailLine, ...]
    total: int
    page: int
    events: tuple[EventLine, ...]  # only for those who oversee the whole service


def _in_region(region_id: int):
    """Transitions whose object belongs to the region, whatever the workflow."""
    campaigns = select(Campaign.id).where(Campaign.region_id == region_id)
    batches = select(PaymentBatch.id).where(PaymentBatch.campaign_id.in_(campaigns))
    owned = {
        "campaign": campaigns,
        "application": select(Application.id).where(Application.campaign_id.in_(campaigns)),
        "determination": select(Determination.id).where(Determination.campaign_id.in_(campaigns)),
        "batch": batches,
        "payment": select(PaymentInstruction.id).where(PaymentInstruction.batch_id.in_(batches)),
        "agreement": select(Agreement.id).join(Institution, Institution.id == Agreement.institution_id)
                     .where(Institution.region_id == region_id),
    }
    return or_(*((Transition.machine == name) & Transition.object_id.in_(ids) for name, ids in owned.items()))


def audit_trail(sessions: sessionmaker, region_code: str, page: int = 1, machine: str | None = None,
                actor: str | None = None, include_events: bool = False) -> Trail:
    with sessions() as session:
        region = session.scalar(select(Region).where(Region.code == region_code))
        names = staff_names(session)
        conditions = [_in_region(region.id)]
        if machine:
            conditions.append(Transition.machine == machine)
        if actor:
            conditions.append(Transition.actor == actor)
        total = session.scalar(select(func.count()).select_from(Transition).where(*conditions))
        lines = trail_lines(session, conditions, offset=(page - 1) * PAGE, limit=PAGE)
        events = ()
        if include_events:
            events = tuple(EventLine(e.at, names.get(e.actor, e.actor), e.kind, e.detail)
                           for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE)))
        return Trail(region.code, lines, total, page, events)


def staff_names(session: Session) -> dict[str, str]:
    """Each username as people read it: 名字（部门）."""
    return {s.username: f"{s.name}（{DEPARTMENT_CN[s.department]}）" for s in session.scalars(select(Staff))}


def trail_lines(session: Session, conditions: list, offset: int = 0, limit: int = PAGE) -> tuple[TrailLine, ...]:
    """Transitions matching ``conditions``, newest first, in Chinese."""
    names = staff_names(session)
    rows = session.scalars(select(Transition).where(*conditions).order_by(Transition.id.desc())
                           .offset(offset).limit(limit))
    return tuple(
        TrailLine(t.at, names.get(t.actor, t.actor), LABELS[t.machine].title if t.machine in LABELS else t.machine,
                  t.object_id, LABELS[t.machine].label(t.action) if t.machine in LABELS else t.action,
                  None if t.from_state is None else LABELS[t.machine].label(t.from_state),
                  LABELS[t.machine].label(t.to_state), t.reason)
        for t in rows)
