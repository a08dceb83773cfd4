"""The audit trail (read-only): every transition of a region's workflows, and the audit events
(sign-ins, refusals, operator commands) for those who oversee the whole service."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ..clock import TIMEZONE
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
    PreSettlement,
    Receivable,
    Region,
    Staff,
    Transition,
)
from ..policy.departments import Department
from ..policy.reasons import FUND_CN
from ..policy.transitions import MACHINES
from .matching import like

LABELS = {m.name: m for m in MACHINES}
PAGE = 100
EXPORT_MAX = 50_000  # rows of one .xlsx export (a worker's seconds and memory); narrow the filter for more

# what the audit events are, in the staff's words (issue 30: the screen showed login / refused / token)
EVENT_CN = {
    "login": "登录", "login_failed": "登录失败", "login_locked": "登录锁定", "logout": "退出登录",
    "refused": "越权操作被拒绝", "operator": "运维命令", "token": "接口令牌", "calendar": "节假日安排",
    "profile": "政策参数方案", "condition_lift": "解除机构情形", "password": "修改密码",
}


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
    subject: str = ""  # what the object is, by name and code (the audit trail's; other histories omit it)


@dataclass(frozen=True)
class EventLine:
    at: dt.datetime
    actor: str
    kind: str  # in Chinese (``EVENT_CN``)
    detail: str


@dataclass(frozen=True)
class TrailFilter:
    """What an auditor narrows the trail to; every field optional."""

    machine: str | None = None
    actor: str | None = None  # a username, or part of a name
    department: Department | None = None
    institution: str | None = None  # part of a code or a name
    since: dt.date | None = None  # Beijing dates, inclusive
    until: dt.date | None = None
    event: str | None = None  # an audit event's kind (``EVENT_CN``)


@dataclass(frozen=True)
class Trail:
    region_code: str
    lines: tuple[TrailLine, ...]
    total: int
    page: int
    events: tuple[EventLine, ...]  # only for those who oversee the whole service
    events_total: int = 0


def _owned(region_id: int, institutions=None) -> dict:
    """Each workflow's objects that belong to the region (and, if given, to one of ``institutions``: a
    select of institution ids)."""
    campaigns = select(Campaign.id).where(Campaign.region_id == region_id)
    batches = select(PaymentBatch.id).where(PaymentBatch.campaign_id.in_(campaigns))

    def of(query, column):
        return query if institutions is None else query.where(column.in_(institutions))

    codes = None if institutions is None else select(Institution.code).where(Institution.id.in_(institutions))
    owned = {
        "application": of(select(Application.id).where(Application.campaign_id.in_(campaigns)),
                          Application.institution_id),
        "determination": of(select(Determination.id).where(Determination.campaign_id.in_(campaigns)),
                            Determination.institution_id),
        "payment": select(PaymentInstruction.id).where(PaymentInstruction.batch_id.in_(batches),
                                                       *(() if codes is None else
                                                         (PaymentInstruction.institution_code.in_(codes),))),
        "agreement": of(select(Agreement.id).join(Institution, Institution.id == Agreement.institution_id)
                        .where(Institution.region_id == region_id), Agreement.institution_id),
        "receivable": of(select(Receivable.id).where(Receivable.region_id == region_id), Receivable.institution_id),
        "presettlement": of(select(PreSettlement.id).where(PreSettlement.region_id == region_id),
                            PreSettlement.institution_id),
    }
    if institutions is None:  # the year and its batches are about no one institution
        owned |= {"campaign": campaigns, "batch": batches}
    return owned


def _in_region(region_id: int, institutions=None):
    """Transitions whose object belongs to the region, whatever the workflow."""
    return or_(*((Transition.machine == name) & Transition.object_id.in_(ids)
                 for name, ids in _owned(region_id, institutions).items()))


def _day_bounds(since: dt.date | None, until: dt.date | None, column) -> list:
    """Beijing dates as UTC instants: from the start of ``since`` to the end of ``until``."""
    bounds = []
    if since is not None:
        bounds.append(column >= dt.datetime.combine(since, dt.time(), TIMEZONE))
    if until is not None:
        bounds.append(column < dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), TIMEZONE))
    return bounds


def _people(session: Session, actor: str | None, department: Department | None) -> list | None:
    """The usernames a filter by person (username or part of a name) and department leaves, or None."""
    if actor is None and department is None:
        return None
    query = select(Staff.username)
    if actor is not None:
        query = query.where(or_(Staff.username == actor, Staff.name.like(like(actor), escape="\\")))
    if department is not None:
        query = query.where(Staff.department == department)
    found = list(session.scalars(query))
    return found + ([actor] if actor is not None and department is None else [])  # an operator's OS login


def _conditions(session: Session, region: Region, f: TrailFilter) -> list:
    institutions = None
    if f.institution:
        institutions = select(Institution.id).where(
            Institution.region_id == region.id,
            or_(Institution.code.like(like(f.institution), escape="\\"),
                Institution.name.like(like(f.institution), escape="\\")))
    conditions = [_in_region(region.id, institutions), *_day_bounds(f.since, f.until, Transition.at)]
    if f.machine:
        conditions.append(Transition.machine == f.machine)
    people = _people(session, f.actor, f.department)
    if people is not None:
        conditions.append(Transition.actor.in_(people))
    return conditions


def audit_trail(sessions: sessionmaker, region_code: str, page: int = 1, machine: str | None = None,
                actor: str | None = None, include_events: bool = False, *, where: TrailFilter | None = None,
                size: int = PAGE) -> Trail:
    """The region's transitions, newest first, each with its subject by name and code; for those who
    oversee the whole service, the audit events (sign-ins, refusals, operator commands) too, filtered by
    person, department, kind and dates, a page at a time."""
    f = where or TrailFilter(machine=machine, actor=actor)
    with sessions() as session:
        region = session.scalar(select(Region).where(Region.code == region_code))
        conditions = _conditions(session, region, f)
        total = session.scalar(select(func.count()).select_from(Transition).where(*conditions))
        lines = trail_lines(session, conditions, offset=(page - 1) * size, limit=size, subjects=True)
        events: tuple[EventLine, ...] = ()
        events_total = 0
        if include_events and f.machine is None and not f.institution:
            names = staff_names(session)
            chosen = [*_day_bounds(f.since, f.until, AuditEvent.at)]
            people = _people(session, f.actor, f.department)
            if people is not None:
                chosen.append(AuditEvent.actor.in_(people))
            if f.event:
                chosen.append(AuditEvent.kind == f.event)
            events_total = session.scalar(select(func.count()).select_from(AuditEvent).where(*chosen))
            events = tuple(EventLine(e.at, names.get(e.actor, e.actor), EVENT_CN.get(e.kind, e.kind), e.detail)
                           for e in session.scalars(select(AuditEvent).where(*chosen).order_by(AuditEvent.id.desc())
                                                    .offset((page - 1) * size).limit(size)))
        return Trail(region.code, lines, total, page, events, events_total)


def _subjects(session: Session, rows) -> dict[tuple[str, int], str]:
    """Each transition's object as people name it: the institution's code and name, the year, the batch."""
    wanted: dict[str, set[int]] = {}
    for t in rows:
        wanted.setdefault(t.machine, set()).add(t.object_id)
    named: dict[tuple[str, int], str] = {}

    def take(machine, query, text):
        if machine in wanted:
            for row in session.execute(query.where(query.selected_columns[0].in_(wanted[machine]))):
                named[(machine, row[0])] = text(*row[1:])

    inst = (Institution.code, Institution.name)
    take("campaign", select(Campaign.id, Campaign.year), lambda y: f"{y} 年度")
    take("application", select(Application.id, *inst, Campaign.year).join(Institution).join(Campaign),
         lambda c, n, y: f"{c} {n}（{y} 年度申请）")
    take("determination", select(Determination.id, *inst, Campaign.year).join(Institution).join(Campaign),
         lambda c, n, y: f"{c} {n}（{y} 年度核定）")
    take("agreement", select(Agreement.id, *inst, Agreement.agreement_no).join(Institution),
         lambda c, n, no: f"{c} {n}（协议 {no}）")
    take("batch", select(PaymentBatch.id, Campaign.year).join(Campaign),
         lambda y: f"拨付批次（{y} 年度）")
    take("payment", select(PaymentInstruction.id, PaymentInstruction.institution_code, PaymentInstruction.fund,
                           PaymentInstruction.batch_id),
         lambda c, fund, b: f"{c}（{FUND_CN[fund.value]}，批次 {b}）")
    take("receivable", select(Receivable.id, *inst, Receivable.fund).join(Institution),
         lambda c, n, fund: f"{c} {n}（{FUND_CN[fund.value]}应收回）")
    take("presettlement", select(PreSettlement.id, *inst, PreSettlement.month).join(Institution),
         lambda c, n, m: f"{c} {n}（{m:%Y年%m月}预结金）")
    return named


def staff_names(session: Session) -> dict[str, str]:
    """Each username as people read it: 名字（部门）."""
    return {s.username: f"{s.name}（{DEPARTMENT_CN[s.department]}）" for s in session.scalars(select(Staff))}


def trail_lines(session: Session, conditions: list, offset: int = 0, limit: int = PAGE,
                subjects: bool = False) -> tuple[TrailLine, ...]:
    """Transitions matching ``conditions``, newest first, in Chinese (with their subjects if asked)."""
    names = staff_names(session)
    rows = session.scalars(select(Transition).where(*conditions).order_by(Transition.id.desc())
                           .offset(offset).limit(limit)).all()
    named = _subjects(session, rows) if subjects else {}
    return tuple(
        TrailLine(t.at, names.get(t.actor, t.actor), LABELS[t.machine].title if t.machine in LABELS else t.machine,
                  t.object_id, LABELS[t.machine].label(t.action) if t.machine in LABELS else t.action,
                  None if t.from_state is None else LABELS[t.machine].label(t.from_state),
                  LABELS[t.machine].label(t.to_state), t.reason, named.get((t.machine, t.object_id), ""))
        for t in rows)
