"""A region's designated institutions: the searchable list (and its .xlsx), and one institution's page."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from .. import clock, extensions
from ..exports import XLSX, institutions_xlsx
from ..policy.conditions import SOURCES
from ..policy.departments import Department
from ..policy.reasons import FUND_CN, KIND_CN
from ..queries.institutions import institution_list, institution_page, suggestions
from ..services import conditions
from ..services.errors import NotFound
from .params import int_arg, regions, require_granted_region, text_arg
from .refusals import attempt

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


@bp.get("/suggest.json")
def suggest(region_code: str):
    """The institution picker's list under a code field: code and name of those whose code starts with, or
    whose name contains, what was typed (``static/picker.js`` fills a ``datalist`` from it)."""
    return {"items": [{"code": code, "name": name} for code, name in
                      suggestions(extensions.sessions(), region_code, text_arg("q") or "")]}


@bp.get("/export.xlsx")
def export(region_code: str):
    found = institution_list(extensions.sessions(), region_code, 1, 0, text_arg("q"))
    return Response(institutions_xlsx(regions()[region_code], found), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=institutions-{region_code}.xlsx"})


class LiftForm(FlaskForm):
    condition = HiddenField(validators=[DataRequired("请选择情形"), Length(max=40)])
    source = HiddenField(validators=[DataRequired("请选择来源"), Length(max=20)])
    year = HiddenField(validators=[Length(max=4)])
    evidence = StringField("不适用的依据（谁出具、何时、为何）",
                           validators=[DataRequired("须填写依据"), Length(max=500, message="不能超过 500 个字符")])


@bp.get("/<code>")
def show(region_code: str, code: str, status: int = 200, form: LiftForm | None = None):
    if len(code) > 20:
        return render_template("error.html", code=404, title="没有找到", message="机构编码过长"), 404
    try:
        p = institution_page(extensions.sessions(), region_code, code, clock.today())
    except NotFound as err:
        return render_template("error.html", code=404, title="没有找到", message=err.message), 404
    return render_template("institution.html", p=p, fund_cn=FUND_CN, kind_cn=KIND_CN, sources=SOURCES,
                           lift_form=form or LiftForm(formdata=None),
                           inspector=current_user.identity.department == Department.INSPECTION), status


@bp.post("/<code>/lift")
def lift(region_code: str, code: str):
    """RULES §2: 稽核 records the evidence that a self-declared or trigger-borne condition does not apply."""
    form = LiftForm()
    year = (form.year.data or "").strip()
    if not form.validate_on_submit() or (year and not (year.isascii() and year.isdigit())):
        form.evidence.errors = list(form.evidence.errors) + (["年度须为四位数字"] if year and not year.isdigit() else [])
        return show(region_code, code, 400, form)
    ok, done = attempt(lambda: conditions.lift(
        extensions.sessions(), region_code, code, form.condition.data, form.source.data, form.evidence.data,
        current_user.identity.username, year=int(year) if year else None), form.evidence.errors)
    if not ok:
        return show(region_code, code, 400, form)
    flash(f"已登记：“{conditions.condition_label(done.condition)}”（{SOURCES[done.source]}）不再适用，此后的核定不再因此不予预付。")
    return redirect(url_for("institutions.show", region_code=region_code, code=code))
