"""A region's designated institutions: the searchable list (and its .xlsx), and one institution's page."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from .. import clock, extensions
from ..exports import XLSX, institutions_xlsx
from ..policy.reasons import FUND_CN, KIND_CN
from ..queries.institutions import institution_list, institution_page
from ..services.errors import NotFound
from .params import int_arg, regions, require_granted_region, text_arg

bp = Blueprint("institutions", __name__, url_prefix="/institutions/<region_code>")
PAGE_SIZE = 50
PAGE_MAX = 100_000


@bp.before_request
@login_required
def _granted() -> None:
    require_granted_region()


@bp.get("")
def list_(region_code: str):
    search = text_arg("q")
    page = int_arg("page", 1, PAGE_MAX)
    found = institution_list(extensions.sessions(), region_code, page, PAGE_SIZE, search)
    pages = max(1, -(-found.count // PAGE_SIZE))
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("institutions.html", region_code=region_code, region_name=regions()[region_code],
                           found=found, search=search or "", page=min(page, pages), pages=pages, query=query,
                           kind_cn=KIND_CN)


@bp.get("/export.xlsx")
def export(region_code: str):
    found = institution_list(extensions.sessions(), region_code, 1, 0, text_arg("q"))
    return Response(institutions_xlsx(regions()[region_code], found), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=institutions-{region_code}.xlsx"})


@bp.get("/<code>")
def show(region_code: str, code: str):
    if len(code) > 20:
        return render_template("error.html", code=404, title="没有找到", message="机构编码过长"), 404
    try:
        p = institution_page(extensions.sessions(), region_code, code, clock.today())
    except NotFound as err:
        return render_template("error.html", code=404, title="没有找到", message=err.message), 404
    return render_template("institution.html", p=p, fund_cn=FUND_CN, kind_cn=KIND_CN)
