"""The determination list of a region's year (filter, sort, page, .xlsx), and the what-if over every
institution with the data as it stands."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required

from .. import extensions
from ..exports import XLSX, determinations_xlsx
from ..policy.reasons import FUND_CN, KIND_CN
from ..policy.transitions import DETERMINATION, DeterminationState
from ..queries.evaluation import whatif_page
from ..queries.overview import SORTS, DeterminationFilter, determination_page
from ..services.errors import ServiceError
from .params import choice_arg, int_arg, regions, require_granted_region, text_arg

bp = Blueprint("determinations", __name__)
PAGE_SIZE = 50
PAGE_MAX = 100_000
STATES = {s.value: DETERMINATION.label(s) for s in DeterminationState if s != DeterminationState.SUPERSEDED}
SORT_CN = {"code": "机构编码", "name": "机构名称", "amount": "预付金额（大到小）", "months": "月数（多到少）"}
ELIGIBLE = {"yes": True, "no": False}


@bp.before_request
@login_required
def _granted() -> None:
    require_granted_region()


def _filter() -> DeterminationFilter:
    eligible = choice_arg("eligible", ELIGIBLE)
    return DeterminationFilter(state=choice_arg("state", STATES), search=text_arg("q"),
                               eligible=None if eligible is None else ELIGIBLE[eligible],
                               sort=choice_arg("sort", SORTS, "code"))


@bp.get("/determinations/<region_code>/<year:year>")
def list_(region_code: str, year: int):
    where = _filter()
    page = int_arg("page", 1, PAGE_MAX)
    found = determination_page(extensions.sessions(), region_code, year, page, PAGE_SIZE, where)
    pages = max(1, -(-found.count // PAGE_SIZE)) if found else 1
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("determinations.html", region_code=region_code, region_name=regions()[region_code],
                           year=year, d=found, page=min(page, pages), pages=pages, where=where, states=STATES,
                           sorts=SORT_CN, query=query, fund_cn=FUND_CN, kind_cn=KIND_CN)


@bp.get("/determinations/<region_code>/<year:year>.xlsx")
def export(region_code: str, year: int):
    found = determination_page(extensions.sessions(), region_code, year, 1, 0, _filter())
    if found is None:
        abort(404, description=f"{year} 年度尚未测算")
    body = determinations_xlsx(regions()[region_code], year, found)
    return Response(body, mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=determinations-{region_code}-{year}.xlsx"})


@bp.get("/whatif/<region_code>/<year:year>")
def whatif(region_code: str, year: int):
    """Every institution's what-if, 50 rows a page, evaluated once per version of the data it reads."""
    try:
        found = whatif_page(extensions.sessions(), region_code, year, int_arg("page", 1, PAGE_MAX), PAGE_SIZE)
    except ServiceError as err:
        return render_template("whatif.html", region_code=region_code, region_name=regions()[region_code],
                               year=year, message=err.message)
    w = found.whatif
    return render_template(
        "whatif.html", region_code=region_code, region_name=regions()[region_code], year=year,
        profile=w.result.profile, ev=w.result.evaluation, rows=found.rows, facts=w.facts, page=found.page,
        pages=found.pages, fund_cn=FUND_CN, kind_cn=KIND_CN, eligible=w.eligible, paid=w.paid, totals=w.totals,
        total=w.total)
