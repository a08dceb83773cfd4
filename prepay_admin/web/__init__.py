"""Screens. Routes parse the request, call a query and render; nothing else."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from .. import extensions
from ..clock import TIMEZONE
from ..policy.facts import Fund
from ..policy.money import fmt_yuan_cn
from ..policy.reasons import FUND_CN, KIND_CN
from ..queries.evaluation import evaluate_region
from ..queries.access import granted_regions
from ..queries.overview import campaign_overview, determination_page, region_years
from ..services.errors import ServiceError

bp = Blueprint("web", __name__)
PAGE_SIZE = 50
PAGE_MAX = 100_000


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every screen is for signed-in staff; the sign-in page itself lives in ``auth``."""


@bp.app_template_filter("yuan")
def _yuan(value) -> str:
    return fmt_yuan_cn(value)


@bp.app_template_filter("beijing")
def _beijing(value) -> str:
    return value.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def _int_arg(name: str, default: int, maximum: int) -> int:
    """A query parameter in ASCII digits within its range, else 400 (never a 500)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= maximum):
        abort(400, description=f"参数 {name} 无效")
    return int(raw)


@bp.get("/")
def index():
    sessions = extensions.sessions()
    years_by_region, region_names = region_years(sessions)
    # nobody sees another region's data: only the regions granted to the signed-in member of staff
    granted = granted_regions(sessions, current_user.identity.username)
    region_names = {code: name for code, name in region_names.items() if code in granted}
    if not region_names:
        return render_template("index.html", regions={}, selected=None)

    code = request.args.get("region") or next(iter(region_names))
    if code not in region_names:
        abort(404)
    years = years_by_region[code]
    year = _int_arg("year", years[0] if years else 0, 2100)
    page = _int_arg("page", 1, PAGE_MAX)
    if year not in years:
        return render_template("index.html", regions=region_names, years_by_region=years_by_region,
                               selected=None, region_code=code, message="该统筹地区还没有基金结余数据。")
    overview = campaign_overview(sessions, code, year)
    determined = None if request.args.get("whatif") else determination_page(sessions, code, year, page, PAGE_SIZE)
    if determined is not None:
        pages = max(1, -(-determined.count // PAGE_SIZE))
        return render_template(
            "index.html", overview=overview, determined=determined, regions=region_names,
            years_by_region=years_by_region, selected=True, region_code=code, year=year, page=min(page, pages),
            pages=pages, fund_cn=FUND_CN, kind_cn=KIND_CN, profile=overview.profile,
        )
    try:
        result = evaluate_region(sessions, code, year)
    except ServiceError as err:
        return render_template("index.html", regions=region_names, years_by_region=years_by_region,
                               selected=None, region_code=code, message=err.message)
    ev = result.evaluation
    pages = max(1, -(-len(ev.institutions) // PAGE_SIZE))
    page = min(page, pages)
    facts_by_code = {i.code: i for i in result.facts.institutions}
    return render_template(
        "index.html",
        overview=overview, whatif=True, profile=result.profile,
        regions=region_names, years_by_region=years_by_region, selected=result, region_code=code, year=year,
        ev=ev, rows=ev.institutions[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], facts=facts_by_code,
        page=page, pages=pages, fund_cn=FUND_CN, kind_cn=KIND_CN,
        eligible=sum(1 for r in ev.institutions if r.eligible),
        paid=sum(1 for r in ev.institutions if r.total > 0),
        totals={f: ev.total_for(f) for f in Fund}, total=ev.total_for(),
    )
