"""The monthly settlement runs and the annual clearing on screen, with the bank's payment list (17§, RULES §6)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ... import clock, extensions
from ...exports import settlement_run_xlsx
from ...policy.departments import Department
from ...policy.facts import Fund
from ...policy.reasons import FUND_CN
from ...queries import receivables as views
from ...queries.todo import next_settlement
from ...services import settlement
from ...services.errors import NotFound
from ...validation import parse_month
from ..forms import date_field, read_date, send_xlsx, username
from ..params import choice_arg, int_arg, regions, text_arg
from ..refusals import attempt
from . import FUNDS, PAGE_MAX, bp


class ClearingForm(FlaskForm):
    year = StringField("清算年度", validators=[DataRequired("请填写年度"), Length(max=4)], render_kw={"placeholder": "YYYY"})
    fund = SelectField("险种", choices=FUNDS)
    day = date_field("结算日期")


class RunForm(FlaskForm):
    month = StringField("结算年月", validators=[DataRequired("请填写结算年月"), Length(max=7)],
                        render_kw={"placeholder": "YYYY-MM"})
    fund = SelectField("险种", choices=FUNDS)
    day = date_field("结算日期")



# -- monthly settlement runs -------------------------------------------------------

def _run_form(region_code: str) -> RunForm:
    """The form offers the month that is due: the earliest imported and not yet settled (issue 30)."""
    due = next_settlement(extensions.sessions(), region_code)
    if due is None:
        return RunForm(formdata=None)
    return RunForm(formdata=None, month=f"{due[0]:%Y-%m}", fund=due[1].value)


def _runs_page(region_code: str, status: int = 200, form: RunForm | None = None,
               clearing: ClearingForm | None = None):
    return render_template("recovery/settlements.html", region_code=region_code, region_name=regions()[region_code],
                           runs=views.settlement_runs(extensions.sessions(), region_code),
                           form=form or _run_form(region_code), funds=FUND_CN,
                           clearing=clearing or ClearingForm(formdata=None, year=str(clock.today().year - 1)),
                           finance=current_user.identity.department == Department.FINANCE), status


@bp.get("/settlements")
def runs(region_code: str):
    return _runs_page(region_code)


@bp.post("/settlements")
def run(region_code: str):
    form = RunForm()
    day = read_date(form.day) if form.validate_on_submit() else None
    month = parse_month((form.month.data or "").strip()) if day else None
    if day is not None and month is None:
        form.month.errors.append("结算年月须为 YYYY-MM")
    if month is None:
        return _runs_page(region_code, 400, form)
    ok, done = attempt(lambda: settlement.run_month(extensions.sessions(), region_code, month, Fund(form.fund.data),
                                                    username(), day), form.month.errors)
    if not ok:
        return _runs_page(region_code, 400, form)
    flash(("该月已结算，未重复记账：" if done.replayed else "已办理月度结算：")
          + f"{done.institutions} 家，扣回预付金 {done.withheld:,.2f} 元，实付 {done.net:,.2f} 元。")
    return redirect(url_for("recovery.sheet", region_code=region_code, run_id=done.run_id))


@bp.post("/settlements/clearing")
def run_clearing(region_code: str):
    """RULES §5: the year's annual clearing settlement, which withholds what is owed as a month's does."""
    form = ClearingForm()
    day = read_date(form.day) if form.validate_on_submit() else None
    raw = (form.year.data or "").strip()
    if day is not None and not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        form.year.errors.append("年度须为四位数字")
        day = None
    if day is None:
        return _runs_page(region_code, 400, clearing=form)
    ok, done = attempt(lambda: settlement.run_clearing(extensions.sessions(), region_code, int(raw),
                                                       Fund(form.fund.data), username(), day), form.year.errors)
    if not ok:
        return _runs_page(region_code, 400, clearing=form)
    flash(("该年度已清算，未重复记账：" if done.replayed else "已办理年度清算：")
          + f"{done.institutions} 家，扣回预付金 {done.withheld:,.2f} 元，实付 {done.net:,.2f} 元。")
    return redirect(url_for("recovery.sheet", region_code=region_code, run_id=done.run_id))


@bp.get("/settlements/<id:run_id>")
def sheet(region_code: str, run_id: int):
    try:
        found = views.settlement_run(extensions.sessions(), run_id, size=1)
    except NotFound:
        abort(404)
    if found.region_code != region_code:
        abort(404)
    if choice_arg("format", {"xlsx"}) == "xlsx":
        whole = views.settlement_run(extensions.sessions(), run_id, size=0, payments_only=True)
        return send_xlsx(settlement_run_xlsx(whole), f"payments-{region_code}-{found.run.month:%Y-%m-%d}-{found.run.fund}")
    page, q = int_arg("page", 1, PAGE_MAX), text_arg("q") or ""
    shown = views.settlement_run(extensions.sessions(), run_id, page=page, size=100, search=q or None)
    return render_template("recovery/sheet.html", region_code=region_code, region_name=regions()[region_code],
                           s=shown, page=page, pages=max(1, -(-shown.count // 100)), query={"q": q} if q else {},
                           search=q, funds=FUND_CN)
