"""Patients' inpatient deposits (DEPOSIT.md) on screens: the reference browser of a region's year, with its
filters, keyset pages and an .xlsx of what is filtered, and the run that 基金结算 computes."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from .. import clock, extensions
from ..exports import deposit_reference_xlsx, hospital_reference_xlsx
from ..policy.deposit import CLASS_CN, MEASURE_CN, InsuranceClass
from ..queries.deposit import findings, grassroots_page, hospital, overview, reference_page
from ..services import documents, grassroots
from ..services.deposit import check_tables, clear_finding, compute_reference
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
    """This year's dashboard (its reference: the three complete years before)."""
    return overview_page(region_code, clock.today().year)


@bp.get("/<year:year>/overview")
def overview_page(region_code: str, year: int, status: int = 200, errors: list[str] | None = None):
    """The region's deposits at a glance (DEPOSIT.md item 7): who publishes, how the published amounts stand
    against the reference, the largest excesses, the recompute triggers by deadline, the silent hospitals."""
    return render_template("deposit/overview.html", region_code=region_code, region_name=regions()[region_code],
                           year=year, o=overview(extensions.sessions(), region_code, year, clock.today()),
                           measure_cn=MEASURE_CN, errors=errors or [], today=clock.today()), status


def _from_overview() -> bool:
    return request.form.get("back") == "overview"


def _refused(region_code: str, year: int, errors: list[str]):
    return (overview_page(region_code, year, 400, errors) if _from_overview()
            else reference(region_code, year, 400, errors))


def _done(region_code: str, year: int):
    return redirect(url_for("deposit.overview_page" if _from_overview() else "deposit.reference",
                            region_code=region_code, year=year))


@bp.get("/<year:year>/hospitals/<code>")
def hospital_page(region_code: str, year: int, code: str):
    """A hospital's table in force against the reference, the groups it has not published, its findings and
    the notices that carried them, with the notices 基金结算 issues from here."""
    return _hospital(region_code, year, code)


def _hospital(region_code: str, year: int, code: str, status: int = 200, errors: list[str] | None = None):
    if len(code) > 20:
        abort(404)
    try:
        h = hospital(extensions.sessions(), region_code, year, code, clock.today())
    except NotFound as err:
        abort(404, description=err.message)
    return render_template("deposit/hospital.html", region_code=region_code, region_name=regions()[region_code],
                           year=year, h=h, measure_cn=MEASURE_CN, errors=errors or [], today=clock.today(),
                           document_titles={k: e.title for k, e in documents.REGISTRY.items()}), status


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
                  f"{year} 年度住院预交金参考额度已测算。", lambda: _refused(region_code, year, errors),
                  lambda _: _done(region_code, year))


NOTICE_KINDS = {"rectification": "deposit_rectification", "recompute": "deposit_recompute"}


@bp.post("/<year:year>/hospitals/<code>/notices/<which>")
def notice(region_code: str, year: int, code: str, which: str):
    """Issue a hospital its 整改提示函 or 重新测算提示函 (基金结算部门), registered; back to its page, where the
    notice is listed for download and its findings read 已通知."""
    kind = NOTICE_KINDS.get(which)
    if kind is None or len(code) > 20:
        abort(404)
    if not ComputeForm().validate_on_submit():
        abort(400)
    errors: list[str] = []
    title = documents.REGISTRY[kind].title
    return submit(lambda: documents.issue(extensions.sessions(), kind, region_code, username(), year=year,
                                          institution=code), errors, f"已出具{title}，可在下方“已出具的提示函”中下载。",
                  lambda: _hospital(region_code, year, code, 400, errors),
                  lambda _: redirect(url_for("deposit.hospital_page", region_code=region_code, year=year, code=code)))


@bp.get("/<year:year>/hospitals/<code>/reference.xlsx")
def hospital_export(region_code: str, year: int, code: str):
    """A hospital's reference as sent to it (its 计算依据): cells under the profile's published minimum left out."""
    if len(code) > 20:
        abort(404)
    try:
        h = hospital(extensions.sessions(), region_code, year, code, clock.today())
        page = reference_page(extensions.sessions(), region_code, year, institution=h.code, size=EXPORT_ROWS)
    except NotFound as err:
        abort(404, description=err.message)
    return send_xlsx(hospital_reference_xlsx(regions()[region_code], year, h.code, h.name, page,
                                             h.published_min_cases), f"住院预交金参考额度-{h.code}-{year}")


class ClearForm(FlaskForm):
    note = StringField("核销理由", validators=[DataRequired("请说明核销的理由"), Length(max=200, message="不能超过 200 个字符")])


@bp.post("/<year:year>/hospitals/<code>/findings/<id:finding_id>/clearance")
def clear(region_code: str, year: int, code: str, finding_id: int):
    """已核销 (基金结算部门): an open finding withdrawn, saying why; back to the hospital's page."""
    form = ClearForm()
    if len(code) > 20:
        abort(404)
    if not form.validate_on_submit():
        return _hospital(region_code, year, code, 400, [e for errors in form.errors.values() for e in errors])
    errors: list[str] = []
    return submit(lambda: clear_finding(extensions.sessions(), region_code, finding_id, form.note.data, username(),
                                        institution=code),
                  errors, "已核销该问题。", lambda: _hospital(region_code, year, code, 400, errors),
                  lambda _: redirect(url_for("deposit.hospital_page", region_code=region_code, year=year, code=code)))


@bp.get("/<year:year>/grassroots")
def grassroots_view(region_code: str, year: int, status: int = 200, errors: list[str] | None = None):
    """Rule 8 (GZ 16): the year's uniform deposits for grassroots institutions, per area × group × class."""
    area, group = text_arg("area"), text_arg("group")
    page = grassroots_page(extensions.sessions(), region_code, year, area=area, group=group,
                           after=int_arg("after", 0, 2**62), size=PAGE_SIZE * 2)
    query = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template("deposit/grassroots.html", region_code=region_code, region_name=regions()[region_code],
                           year=year, g=page, area=area, group=group, query=query, errors=errors or []), status


@bp.post("/<year:year>/grassroots")
def grassroots_propose(region_code: str, year: int):
    """基金结算 proposes the table from the current reference (a new proposal supersedes the one before)."""
    if not ComputeForm().validate_on_submit():
        abort(400)
    errors: list[str] = []
    return submit(lambda: grassroots.propose(extensions.sessions(), region_code, year, username()), errors,
                  "已提交基层医疗机构统一预交金额度表，待医保行政部门审定。",
                  lambda: grassroots_view(region_code, year, 400, errors),
                  lambda _: redirect(url_for("deposit.grassroots_view", region_code=region_code, year=year)))


class DecisionForm(FlaskForm):
    decision = StringField("审定意见")
    note = StringField("意见", validators=[Length(max=500, message="不能超过 500 个字符")])


@bp.post("/<year:year>/grassroots/<id:table_id>/decision")
def grassroots_decide(region_code: str, year: int, table_id: int):
    """医保行政 approves the proposed table, or returns it saying why."""
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "return"):
        return grassroots_view(region_code, year, 400, [e for errors in form.errors.values() for e in errors]
                               or ["请选择审定或退回"])
    errors: list[str] = []
    approve = form.decision.data == "approve"
    return submit(lambda: grassroots.decide(extensions.sessions(), region_code, table_id, approve, form.note.data or "",
                                            username(), year=year), errors, "已审定。" if approve else "已退回基金结算部门。",
                  lambda: grassroots_view(region_code, year, 400, errors),
                  lambda _: redirect(url_for("deposit.grassroots_view", region_code=region_code, year=year)))


@bp.post("/<year:year>/checks")
def check(region_code: str, year: int):
    """Rules 1, 3, 4 and 5 over the published tables in force today (基金结算部门)."""
    if not ComputeForm().validate_on_submit():
        abort(400)
    errors: list[str] = []
    return submit(lambda: check_tables(extensions.sessions(), region_code, year, clock.today(), username()), errors,
                  "已检查各医院公示的预交金额度。", lambda: _refused(region_code, year, errors),
                  lambda _: _done(region_code, year))
