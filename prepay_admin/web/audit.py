"""The audit trail screen: read-only, filterable, for those who oversee (审计, 内审, 管理员)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from .. import extensions
from ..policy.departments import OVERSEERS, WHOLE_SERVICE
from ..policy.transitions import MACHINES
from ..queries.access import granted_regions
from ..queries.audit_trail import PAGE, audit_trail
from ..validation import parse_count
from .refusals import refuse

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.app_context_processor
def _audit_link() -> dict:
    """Where the header's 审计记录 link leads, for overseers only (the rule stays here, not in a template)."""
    who = current_user.identity if current_user.is_authenticated else None
    region = who.regions[0] if who is not None and who.department in OVERSEERS and who.regions else None
    return {"audit_region": region}


@bp.before_request
@login_required
def _overseers_only() -> None:
    if current_user.identity.department not in OVERSEERS:
        refuse("审计记录仅供审计、内审和管理员查看")


@bp.get("/<region_code>")
def trail(region_code: str):
    if region_code not in granted_regions(extensions.sessions(), current_user.identity.username):
        abort(404)
    machine = request.args.get("machine") or None
    if machine is not None and machine not in {m.name for m in MACHINES}:
        abort(400, description="流程类型无效")
    actor = (request.args.get("actor") or "").strip()[:60] or None
    page = parse_count(request.args.get("page", "1"), 1, 999_999)
    if page is None:
        abort(400, description="页码无效")
    view = audit_trail(extensions.sessions(), region_code, page, machine, actor,
                       include_events=current_user.identity.department in WHOLE_SERVICE)
    pages = max(1, -(-view.total // PAGE))
    return render_template("audit.html", t=view, machines=MACHINES, machine=machine, actor=actor or "",
                           pages=pages)
