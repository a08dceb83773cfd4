"""A refused action on a screen: 403, nothing changed, and a record of who tried what."""
from __future__ import annotations

from typing import Any, Callable, NoReturn

from flask import abort, request
from flask_login import current_user

from accounting.errors import LedgerError

from .. import extensions
from ..services.errors import NotFound, Refused, ServiceError
from ..services.identity import log_event


def refuse(detail: str) -> NoReturn:
    who = current_user.identity.username if current_user.is_authenticated else "anonymous"
    log_event(extensions.sessions(), who, "refused", f"{request.method} {request.path}：{detail}")
    abort(403, description=detail)


def attempt(action: Callable[[], Any], errors: list) -> tuple[bool, Any]:
    """Call a service as the signed-in member of staff: ``(True, its result)``; a refusal of who or
    where (24§, the region's grant) is a recorded 403; any other refusal is ``(False, None)`` with its
    message added to ``errors`` (a field's, shown beside it)."""
    try:
        return True, action()
    except (ServiceError, LedgerError) as err:
        if err.field in ("user", "region"):
            refuse(err.message)
        if isinstance(err, Refused):  # refused whole: every problem on its own line
            errors.extend(f"{p}: {m}" if p not in ("", "/") else m for p, m in err.problems)
        else:
            errors.append(err.message)
        return False, None


def carry_out(action: Callable[[], Any]) -> Any:
    """A button with nothing to show beside a field: the service's result; what does not exist (or is
    another's) is a 404, who may not act a recorded 403, any other refusal a 400 with its message."""
    try:
        return action()
    except NotFound as err:
        abort(404, description=err.message)
    except (ServiceError, LedgerError) as err:
        if err.field in ("user", "region"):
            refuse(err.message)
        abort(400, description=err.message)


def attempt_on(action: Callable[[], Any], form: Any, default: str) -> tuple[bool, Any]:
    """As ``attempt``, each refusal beside the form field the service names (issue 30: "/commitment: 须承诺…"
    appeared under 机构编码, a short password under 用户名): the field of that name, else one whose name
    begins or ends with it, else ``default``, the message then naming what it is about."""
    try:
        return True, action()
    except (ServiceError, LedgerError) as err:
        if err.field in ("user", "region"):
            refuse(err.message)
        problems = err.problems if isinstance(err, Refused) else [(err.field or "", err.message)]
        for path, message in problems:
            name = (path or "").strip("/").split("/")[-1]
            field = _field_named(form, name)
            if field is None:
                getattr(form, default).errors.append(f"{path}: {message}" if path not in ("", "/", None)
                                                     and name != default else message)
            else:
                field.errors.append(message)
        return False, None


def _field_named(form: Any, name: str) -> Any:
    if not name:
        return None
    fields = {f.name: f for f in form}
    if name in fields:
        return fields[name]
    near = [f for key, f in fields.items() if key.startswith(f"{name}_") or key.endswith(f"_{name}")]
    return near[0] if len(near) == 1 else None
