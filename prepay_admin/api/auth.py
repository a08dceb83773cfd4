"""Bearer tokens for other systems (a token belongs to a member of staff, and so to a department and
regions); refusals as JSON, recorded."""
from __future__ import annotations

from typing import Any, Callable, NoReturn

from flask import g, request
from flask_smorest import abort

from accounting.errors import LedgerError

from .. import extensions
from ..services import identity
from ..services.errors import NotFound, Refused, ServiceError
from ..services.idempotency import KeyReused
from ..services.identity import Identity


def authenticate() -> None:
    """Every endpoint acts as the member of staff of its ``Authorization: Bearer`` token."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="未认证：须提供 Authorization: Bearer 令牌")
    try:
        g.api_identity = identity.authenticate_token(extensions.sessions(), token)
    except ServiceError as err:
        abort(401, message=err.message)


def caller() -> Identity:
    return g.api_identity


def call(action: Callable[[], Any]) -> Any:
    """Run a service or a query; its refusals become JSON errors with the right status."""
    try:
        return action()
    except KeyReused as err:
        _abort(409, err.message, err.field)
    except NotFound as err:
        _abort(404, err.message, err.field)
    except Refused as err:  # refused whole: every problem, by parameter or by row and column
        errors: dict[str, list[str]] = {}
        for path, message in err.problems:
            errors.setdefault(path if path not in ("", "/") else "file", []).append(message)
        abort(422, message=err.summary, errors=errors)
    except (ServiceError, LedgerError) as err:
        if err.field == "region":  # another region's data is invisible, as if it did not exist
            _abort(404, "没有找到", None)
        if err.field == "user":
            refuse(err.message)
        _abort(422 if err.field else 400, err.message, err.field)


def _abort(status: int, message: str, field: str | None) -> NoReturn:
    abort(status, message=message, errors={field: [message]} if field else {})


def bad_input(message: str, field: str) -> NoReturn:
    """A request the schema let through that is still wrong as a whole (e.g. dates out of order): 400."""
    _abort(400, message, field)


def refuse(message: str) -> NoReturn:
    """A department without the duty: 403, recorded."""
    identity.log_event(extensions.sessions(), caller().username, "refused", f"{request.method} {request.path}：{message}")
    _abort(403, message, None)
