"""What a screen takes from its URL: query parameters checked to their range (a bad one is a 400
with a message, never a 500), and the region in the path checked against the signed-in user's grants
(another region's data is as if it did not exist: 404)."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from .. import extensions
from ..queries.access import granted_regions
from ..validation import parse_count

TEXT_MAX = 60


def int_arg(name: str, default: int, maximum: int) -> int:
    """A query parameter in ASCII digits within 1..``maximum``."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_count(raw, 1, maximum)
    if value is None:
        abort(400, description=f"参数 {name} 无效")
    return value


def choice_arg(name: str, choices, default: str | None = None) -> str | None:
    """A query parameter that must be one of ``choices`` (empty: ``default``)."""
    raw = request.args.get(name) or None
    if raw is None:
        return default
    if raw not in choices:
        abort(400, description=f"参数 {name} 无效")
    return raw


def text_arg(name: str) -> str | None:
    """Free text to search by, trimmed and bounded."""
    raw = (request.args.get(name) or "").strip()
    if len(raw) > TEXT_MAX:
        abort(400, description=f"参数 {name} 过长（不超过 {TEXT_MAX} 个字符）")
    return raw or None


def regions() -> dict[str, str]:
    return granted_regions(extensions.sessions(), current_user.identity.username)


def require_granted_region() -> None:
    """A ``before_request`` for blueprints under ``<region_code>``: another region is a 404."""
    if request.view_args and request.view_args.get("region_code") not in regions():
        abort(404)
