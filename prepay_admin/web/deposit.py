"""Patients' inpatient deposits (DEPOSIT.md) on screens: the reference browser of a region's year, with its
filters, keyset pages and an .xlsx of what is filtered, and the run that 基金结算 computes."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm

from .. import clock, extensions
from ..exports import deposit_reference_xlsx
from ..policy.deposit import CLASS_CN, MEASURE_CN, InsuranceClass
from ..queries.deposit import findings, reference_page
from ..services.deposit import check_tables, compute_reference
from ..services.errors import NotFound
from .forms import send_xlsx, submit, username
from .params import choice_arg, int_arg, regions, require_granted_region, text_arg

bp = Blueprint("deposit", __name__, url_prefix="/deposit/<region_code>")
PAGE_SIZE = 50
EXPORT_ROWS = 300_000  # a prefecture's cells, all of them
CLASSES = {c.value: CLASS_CN[c] for c in InsuranceClass}


class ComputeForm(FlaskForm):
    """A button: its CSRF token only."""


@bp.before_request
@login_required
def _granted() -> None:
    require_granted_region()


def _filters() -> dict:
    cls = choice_arg("class", CLASSES)
    return dict(institution=(text_arg("institution") or "").upper() or None, group=text_arg("group"),
                insurance_class=InsuranceClass(cls) if cls else None)


@bp.get("")
def index(region_code: str):
    """The reference of this year (its window: the three complete years before)."""
    return reference(region_code, clock.today().year)


@bp.get("/<year:year>")
def reference(region_code: str, year: int, status: int = 200, errors: list[str] | None = None):
    """The reference of the year's current run, 50 cells a page by keyset (``after``)."""
    filters = _filters()
    try:
        page = reference_page(extensions.sessions(), region_code, year, after=int_arg("after", 0, 2**62),
                              size=PAGE_SIZE, **filters)
    except NotFound:
        page = None
    query = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template("deposit/reference.html", region_code=region_code, region_name=regions()[region_code],
                           year=year, page=page, filters=filters, classes=CLASSES, query=query, measure_cn=MEASURE_CN,
                           errors=errors or [], findings=findings(extensions.sessions(), region_code, size=200),
                           today=clock.today()), status


@bp.get("/<year:year>.xlsx")
def export(region_code: str, year: int):
    try:
        page = reference_page(extensions.sessions(), region_code, year, size=EXPORT_ROWS, **_filters())
    except NotFound:
        abort(404, description=f"{year} 年度尚未测算住院预交金参考额度")
    return send_xlsx(deposit_reference_xlsx(regions()[region_code], year, page), f"住院预交金参考额度-{region_code}-{year}")


@bp.post("/<year:year>/runs")
def compute(region_code: str, year: int):
    """Compute (or recompute, superseding) the year's reference (基金结算部门)."""
    if not ComputeForm().validate_on_submit():
        abort(400)
    errors: list[str] = []
    return submit(lambda: compute_reference(extensions.sessions(), region_code, year, username()), errors,
                  f"{year} 年度住院预交金参考额度已测算。",
                  lambda: reference(region_code, year, 400, errors),
                  lambda _: redirect(url_for("deposit.reference", region_code=region_code, year=year)))


@bp.post("/<year:year>/checks")
def check(region_code: str, year: int):
    """Rules 1, 3, 4 over the published tables in force today (基金结算部门)."""
    if not ComputeForm().validate_on_submit():
        abort(400)
    errors: list[str] = []
    return submit(lambda: check_tables(extensions.sessions(), region_code, year, clock.today(), username()), errors,
                  "已检查各医院公示的预交金额度。", lambda: reference(region_code, year, 400, errors),
                  lambda _: redirect(url_for("deposit.reference", region_code=region_code, year=year)))
