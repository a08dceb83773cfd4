"""Applying a transition: the table decides, the log records (who, when, from, to, why)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import DEPARTMENT_CN, Department, Staff, Transition
from ..policy.transitions import IllegalTransition, Machine
from .errors import ServiceError


def transition(session: Session, machine: Machine, obj: Any, action: str, actor: str, reason: str = "") -> str:
    """Move ``obj`` (anything with ``id`` and ``state``) by ``action``; refused unless the table allows it."""
    try:
        target = machine.next(obj.state, action)
    except IllegalTransition as err:
        raise ServiceError(str(err), "state") from None
    record(session, machine, obj.id, action, obj.state, target, actor, reason)
    obj.state = target
    return target


def record(session: Session, machine: Machine, object_id: int, action: str, from_state: str | None,
           to_state: str, actor: str, reason: str = "") -> None:
    session.add(Transition(machine=machine.name, object_id=object_id, action=action, from_state=from_state,
                           to_state=to_state, actor=actor, reason=reason))


def staff(session: Session, username: str, *departments: Department) -> Staff:
    """The acting person, who must belong to one of ``departments`` (24§: each duty has its department)."""
    person = session.scalar(select(Staff).where(Staff.username == username))
    if person is None:
        raise ServiceError(f"用户 {username} 不存在", "user")
    if departments and person.department not in departments:
        wanted = "或".join(DEPARTMENT_CN[d] for d in departments)
        raise ServiceError(f"{person.name}（{DEPARTMENT_CN[person.department]}）无权执行此操作，须由{wanted}办理", "user")
    return person


def history(session: Session, machine: Machine, object_id: int) -> list[Transition]:
    return list(session.scalars(select(Transition).where(
        Transition.machine == machine.name, Transition.object_id == object_id).order_by(Transition.id)))
