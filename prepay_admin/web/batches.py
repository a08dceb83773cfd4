"""The sign-off screen (24§(五)): each level reads the batch and signs the hash of what it saw, or
returns it with a reason. Nothing on it is editable; the rules are the batch service's."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import clock, extensions
from ..exports import XLSX, batch_xlsx
from ..policy.reasons import FUND_CN
from ..queries.signoff import LINES_PER_PAGE, sign_off_screen
from ..services import batch as batches
from ..services.errors import NotFound, ServiceError
from .params import int_arg
from .refusals import refuse

bp = Blueprint("batches", __name__, url_prefix="/batches")
PAGE_MAX = 100_000


class SignForm(FlaskForm):
    seen_hash = HiddenField(validators=[DataRequired("缺少批次摘要")])
    comment = TextAreaField("审核意见", default="同意", validators=[DataRequired("请填写意见"),
                                                                    Length(max=500, message="意见不能超过 500 个字符")])


class RejectForm(FlaskForm):
    reason = TextAreaField("退回原因", validators=[DataRequired("退回须说明原因"),
                                                  Length(max=500, message="原因不能超过 500 个字符")])


@bp.before_request
@login_required
def _signed_in() -> None:
    pass


def _screen(batch_id: int, page: int = 1, size: int = LINES_PER_PAGE):
    try:
        return sign_off_screen(extensions.sessions(), batch_id, current_user.identity.username, page, size)
    except NotFound:
        abort(404)


def _render(batch_id: int, sign: SignForm, reject: RejectForm, status: int = 200):
    page = int_arg("page", 1, PAGE_MAX)
    screen = _screen(batch_id, page)
    sign.seen_hash.data = screen.hash  # the signer vouches for the whole batch: every page, the download
    pages = max(1, -(-screen.line_count // LINES_PER_PAGE))
    return render_template("batch.html", s=screen, sign=sign, reject=reject, fund_cn=FUND_CN, page=min(page, pages),
                           pages=pages, now=clock.utcnow()), status


@bp.get("/<id:batch_id>")
def show(batch_id: int):
    return _render(batch_id, SignForm(formdata=None), RejectForm(formdata=None))


@bp.get("/<id:batch_id>/lines.xlsx")
def lines(batch_id: int):
    """Every line of the batch, as the signers read it, with its hash."""
    return Response(batch_xlsx(_screen(batch_id, 1, 0)), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=batch-{batch_id}.xlsx"})


@bp.post("/<id:batch_id>/sign")
def sign(batch_id: int):
    form = SignForm()
    screen = _screen(batch_id)
    if not screen.can_sign:
        refuse(f"签批次 {batch_id}：{screen.cannot_sign_because}")
    if form.validate_on_submit():
        try:
            done = batches.sign_off(extensions.sessions(), batch_id, current_user.identity.username,
                                    form.comment.data, form.seen_hash.data)
        except ServiceError as err:
            if err.field in ("user", "region"):
                refuse(f"签批次 {batch_id}：{err.message}")
            form.comment.errors.append(err.message)
        else:
            flash(f"已签字：{done.title}（批次摘要 {done.batch_hash[:12]}…）")
            return redirect(url_for("batches.show", batch_id=batch_id))
    return _render(batch_id, form, RejectForm(formdata=None), 400)


@bp.post("/<id:batch_id>/reject")
def reject(batch_id: int):
    form = RejectForm()
    screen = _screen(batch_id)
    if not screen.can_sign:
        refuse(f"退回批次 {batch_id}：{screen.cannot_sign_because}")
    if form.validate_on_submit():
        try:
            batches.reject(extensions.sessions(), batch_id, current_user.identity.username, form.reason.data)
        except ServiceError as err:
            if err.field in ("user", "region"):
                refuse(f"退回批次 {batch_id}：{err.message}")
            form.reason.errors.append(err.message)
        else:
            flash("已退回，已有签字作废。")
            return redirect(url_for("batches.show", batch_id=batch_id))
    return _render(batch_id, SignForm(formdata=None), form, 400)
