"""A refused action on a screen: 403, nothing changed, and a record of who tried what."""
from __future__ import annotations

from typing import NoReturn

from flask import abort, request
from flask_login import current_user

from .. import extensions
from ..services.identity import log_event


def refuse(detail: str) -> NoReturn:
    who = current_user.identity.username if current_user.is_authenticated else "anonymous"
    log_event(extensions.sessions(), who, "refused", f"{request.method} {request.path}：{detail}")
    abort(403, description=detail)
