"""The audit trail screen: read-only, filterable, exportable, for those who oversee (审计, 内审, 管理员)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from .. import clock, extensions
from ..exports import audit_trail_xlsx
from ..policy.departments import DEPARTMENT_CN, OVERSEERS, WHOLE_SERVICE, Department
from ..policy.transitions import MACHINES
from ..queries.access import granted_regions
from ..queries.audit_trail import EVENT_CN, EXPORT_MAX, PAGE, TrailFilter, audit_trail
from ..validation import parse_count, parse_date
from .forms import send_xlsx
from .params import choice_arg, regions, text_arg
from .refusals import refuse

bp = Blueprint("audit", __name__, url_prefix="/audit")
FILTER_ARGS = ("machine", "actor", "department", "institution", "since", "until", "event")


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


def _date_arg(name: str):
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    day = parse_date(raw)
    if day is None:
        abort(400, description=f"参数 {name} 须为 YYYY-MM-DD 日期")
    return day


def _filter() -> TrailFilter:
    department = choice_arg("department", [d.value for d in Department])
    since, until = _date_arg("since"), _date_arg("until")
    if since and until and since > until:
        abort(400, description="起始日期不能晚于截止日期")
    return TrailFilter(machine=choice_arg("machine", [m.name for m in MACHINES]), actor=text_arg("actor"),
                       department=Department(department) if department else None, institution=text_arg("institution"),
                       since=since, until=until, event=choice_arg("event", list(EVENT_CN)))


def _region(region_code: str) -> None:
    if region_code not in granted_regions(extensions.sessions(), current_user.identity.username):
        abort(404)


@bp.get("/<region_code>")
def trail(region_code: str):
    _region(region_code)
    where = _filter()
    page = parse_count(request.args.get("page", "1"), 1, 999_999)
    if page is None:
        abort(400, description="页码无效")
    view = audit_trail(extensions.sessions(), region_code, page, where=where,
                       include_events=current_user.identity.department in WHOLE_SERVICE)
    pages = max(1, -(-max(view.total, view.events_total) // PAGE))
    args = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}  # never url_for's own keywords
    return render_template("audit.html", t=view, machines=MACHINES, f=where, pages=pages, args=args,
                           departments=DEPARTMENT_CN, events=EVENT_CN, region_name=regions()[region_code],
                           whole_service=current_user.identity.department in WHOLE_SERVICE)


@bp.get("/<region_code>/trail.xlsx")
def export(region_code: str):
    """The filtered trail as a workbook (every matching line, up to ``EXPORT_MAX``)."""
    _region(region_code)
    where = _filter()
    view = audit_trail(extensions.sessions(), region_code, 1, where=where, size=EXPORT_MAX,
                       include_events=current_user.identity.department in WHOLE_SERVICE)
    if max(view.total, view.events_total) > EXPORT_MAX:
        abort(400, description=f"符合条件的记录超过 {EXPORT_MAX:,} 条：请按日期、机构或人员缩小范围后再导出")
    return send_xlsx(audit_trail_xlsx(regions()[region_code], where, view, clock.today()),
                     f"审计记录-{region_code}-{clock.today():%Y%m%d}")
