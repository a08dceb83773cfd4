"""Data intake on screen: each kind's template and export, an upload that is first previewed (what would
be added, changed and refused, every error by row and column), then confirmed; the import history.

The department that owns a kind (24§) uploads it; the service checks, and refuses anyone else.
"""
from __future__ import annotations

import io

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length

from .. import extensions
from ..exports import XLSX
from ..intake.kinds import KINDS
from ..intake.writing import data_xlsx, template_xlsx
from ..queries.intake import exported, import_history
from ..services.imports import confirm_upload, preview_upload
from ..validation import parse_month
from .params import regions, require_granted_region
from .refusals import attempt, carry_out

bp = Blueprint("imports", __name__, url_prefix="/imports")


class UploadForm(FlaskForm):
    file = FileField("文件（.xlsx 或 .csv）", validators=[FileRequired("请选择要导入的文件")])
    correct = BooleanField("更正导入（允许更改已登记的数据，保留原值）")
    reason = StringField("更正原因", validators=[Length(max=500)])


class ConfirmForm(FlaskForm):
    correct = HiddenField()
    reason = HiddenField()


@bp.before_request
@login_required
def _granted() -> None:
    require_granted_region()
    if request.view_args and "kind" in request.view_args and request.view_args["kind"] not in KINDS:
        abort(404)


def _page(region_code: str, status: int = 200, forms: dict | None = None):
    department = current_user.identity.department
    owned = [k for k in KINDS.values() if k.owner == department]
    upload_forms = {k.name: UploadForm(formdata=None) for k in owned}
    upload_forms.update(forms or {})
    return render_template("imports/index.html", region_code=region_code, region_name=regions()[region_code],
                           kinds=KINDS.values(), owned=owned, forms=upload_forms,
                           history=import_history(extensions.sessions(), region_code)), status


@bp.get("/<region_code>")
def index(region_code: str):
    return _page(region_code)


@bp.get("/<region_code>/<kind>/template.xlsx")
def template(region_code: str, kind: str):
    return Response(template_xlsx(KINDS[kind]), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=template-{kind}.xlsx"})


@bp.get("/<region_code>/<kind>/export.xlsx")
def export(region_code: str, kind: str):
    if kind in KINDS and not KINDS[kind].exportable:
        abort(400, description=f"{KINDS[kind].title}不导出：结算ID、就诊ID只保存其摘要，无法还原")
    month = None
    if kind == "settlement":
        month = parse_month(request.args.get("month", ""))
        if month is None:
            abort(400, description="请指定结算年月（month=YYYY-MM）")
    out = io.BytesIO()
    rows = exported(extensions.sessions(), region_code, kind, month)
    data_xlsx(KINDS[kind], rows, out)
    return Response(out.getvalue(), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename={kind}-{region_code}.xlsx"})


@bp.post("/<region_code>/<kind>/preview")
def preview(region_code: str, kind: str):
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(region_code, 400, {kind: form})
    upload = form.file.data
    correct, reason = form.correct.data, (form.reason.data or "").strip()
    ok, previewed = attempt(lambda: preview_upload(extensions.sessions(), current_user.identity.username, region_code,
                                                   kind, upload.filename or "上传文件", upload.read(),
                                                   correct=correct, reason=reason),
                            form.reason.errors if correct and not reason else form.file.errors)
    if not ok:
        return _page(region_code, 400, {kind: form})
    confirm = ConfirmForm(formdata=None, correct="1" if correct else "", reason=reason)
    return render_template("imports/preview.html", region_code=region_code, region_name=regions()[region_code],
                           kind=KINDS[kind], r=previewed.report, upload_id=previewed.upload_id, form=confirm), \
        200 if previewed.upload_id else 400


@bp.post("/<region_code>/uploads/<id:upload_id>/confirm")
def confirm(region_code: str, upload_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    report = carry_out(lambda: confirm_upload(extensions.sessions(), current_user.identity.username, upload_id,
                                              correct=form.correct.data == "1", reason=form.reason.data or ""))
    return render_template("imports/preview.html", region_code=region_code, region_name=regions()[region_code],
                           kind=KINDS[report.kind], r=report, upload_id=None, form=None, done=True), \
        200 if not report.error_count else 400
