"""Monthly pre-settlements on screen (26§): proposing, signing by the chain of the profile, rejecting, paying."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ... import extensions
from ...policy.accounts import DEPOSIT_ACCOUNTS
from ...policy.departments import Department
from ...policy.facts import Fund
from ...policy.reasons import FUND_CN
from ...policy.recovery import CASE_CN, PresettlementCase
from ...queries import receivables as views
from ...services import presettlement
from ...services.errors import NotFound
from ...validation import parse_month
from ..forms import date_field, institution_field, read_date, read_institution, read_money, submit, text_field, username
from ..params import regions
from ..refusals import attempt
from . import ACCOUNT_CHOICES, FUNDS, bp

# -- monthly pre-settlements (26§) ------------------------------------------------

class ProposeForm(FlaskForm):
    institution = institution_field()
    fund = SelectField("险种", choices=FUNDS)
    month = StringField("预结的结算年月", validators=[DataRequired("请填写年月"), Length(max=7)],
                        render_kw={"placeholder": "YYYY-MM"})
    case = SelectField("情形", choices=[SelectChoice(c.value, t) for c, t in CASE_CN.items()])
    incurred = text_field("基金实际发生金额（元）", 30, "请填写实际发生金额")
    budget_left = StringField("总额指标余额（元，第一款）", validators=[Length(max=30)])
    amount = text_field("预结金额（元）", 30, "请填写预结金额")
    application_ref = StringField("机构书面申请文号（第二款）", validators=[Length(max=100)])
    reason = StringField("说明", validators=[Length(max=500)])


class SignForm(FlaskForm):
    seen_hash = HiddenField()
    comment = StringField("意见", validators=[Length(max=500)])


class RejectForm(FlaskForm):
    reason = text_field("退回原因", 500, "退回须说明原因")


class PayForm(FlaskForm):
    bank_ref = text_field("银行交易流水号", 100, "请填写流水号")
    paid_from = SelectField("付款账户", choices=ACCOUNT_CHOICES)
    day = date_field("到账日期")


def _pre_list(region_code: str, status: int = 200, form: ProposeForm | None = None):
    return render_template("recovery/presettlements.html", region_code=region_code,
                           region_name=regions()[region_code],
                           rows=views.presettlements(extensions.sessions(), region_code),
                           form=form or ProposeForm(formdata=None), funds=FUND_CN,
                           settlement_staff=current_user.identity.department == Department.FUND_SETTLEMENT), status


@bp.get("/presettlements")
def presettlements(region_code: str):
    return _pre_list(region_code)


@bp.post("/presettlements")
def propose(region_code: str):
    form = ProposeForm()
    if not form.validate_on_submit():
        return _pre_list(region_code, 400, form)
    month = parse_month((form.month.data or "").strip())
    if month is None:
        form.month.errors.append("年月须为 YYYY-MM")
    incurred, amount = read_money(form.incurred), read_money(form.amount)
    budget_left = read_money(form.budget_left) if (form.budget_left.data or "").strip() else None
    code = read_institution(form.institution, region_code)
    if None in (month, incurred, amount, code) or (form.budget_left.errors):
        return _pre_list(region_code, 400, form)
    ok, done = attempt(lambda: presettlement.propose(
        extensions.sessions(), region_code, code, Fund(form.fund.data), month,
        PresettlementCase(form.case.data), incurred, amount, username(), budget_left=budget_left,
        application_ref=form.application_ref.data or "", reason=form.reason.data or ""), form.amount.errors)
    if not ok:
        return _pre_list(region_code, 400, form)
    flash(f"已登记月度预结金 {done.presettlement_id}，须经：{' → '.join(done.levels)}。")
    return redirect(url_for("recovery.presettlement_", region_code=region_code, presettlement_id=done.presettlement_id))


def _pre_detail(region_code: str, presettlement_id: int, status: int = 200, **forms):
    try:
        d = views.presettlement_detail(extensions.sessions(), presettlement_id, username())
    except NotFound:
        abort(404)
    if d.region_code != region_code:
        abort(404)
    forms.setdefault("sign", SignForm(formdata=None, seen_hash=d.hash))
    forms.setdefault("reject", RejectForm(formdata=None))
    forms.setdefault("pay", PayForm(formdata=None))
    return render_template("recovery/presettlement.html", region_code=region_code, region_name=regions()[region_code],
                           d=d, forms=forms, funds=FUND_CN,
                           finance=current_user.identity.department == Department.FINANCE), status


@bp.get("/presettlements/<id:presettlement_id>")
def presettlement_(region_code: str, presettlement_id: int):
    return _pre_detail(region_code, presettlement_id)


def _pre_act(region_code: str, presettlement_id: int, key: str, form: FlaskForm, field: str, call, done: str):
    _pre_detail(region_code, presettlement_id)  # 404 for another region's
    if not form.validate_on_submit():
        return _pre_detail(region_code, presettlement_id, 400, **{key: form})
    return submit(call, getattr(form, field).errors, done,
                  lambda: _pre_detail(region_code, presettlement_id, 400, **{key: form}),
                  lambda _: redirect(url_for("recovery.presettlement_", region_code=region_code,
                                             presettlement_id=presettlement_id)))


@bp.post("/presettlements/<id:presettlement_id>/sign")
def sign_presettlement(region_code: str, presettlement_id: int):
    form = SignForm()
    return _pre_act(region_code, presettlement_id, "sign", form, "comment",
                    lambda: presettlement.sign_off(extensions.sessions(), presettlement_id, username(),
                                                   form.comment.data or "", form.seen_hash.data or ""), "已签字。")


@bp.post("/presettlements/<id:presettlement_id>/reject")
def reject_presettlement(region_code: str, presettlement_id: int):
    form = RejectForm()
    return _pre_act(region_code, presettlement_id, "reject", form, "reason",
                    lambda: presettlement.reject(extensions.sessions(), presettlement_id, username(), form.reason.data),
                    "已退回。")


@bp.post("/presettlements/<id:presettlement_id>/pay")
def pay_presettlement(region_code: str, presettlement_id: int):
    form = PayForm()
    day = read_date(form.day) if form.validate_on_submit() else None
    if day is None:
        return _pre_detail(region_code, presettlement_id, 400, pay=form)
    return _pre_act(region_code, presettlement_id, "pay", form, "bank_ref",
                    lambda: presettlement.pay(extensions.sessions(), presettlement_id, form.bank_ref.data, day,
                                              username(), DEPOSIT_ACCOUNTS[form.paid_from.data]),
                    "已确认拨付，将在此后的月度结算中扣回。")
