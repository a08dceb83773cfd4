"""The books on screen (21§(一)): trial balance, general-ledger detail, institution statements,
the write-off memo register and period closing, each downloadable as .xlsx.

Everyone granted the region reads them; only the finance department closes or reopens a period
(24§(一)), which the service checks.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from accounting import xlsx
from accounting.chart import Role
from accounting.errors import LedgerError

from .. import clock, extensions
from ..policy.facts import Fund
from ..policy.reasons import FUND_CN
from ..queries import ledger as books
from ..services.books import close_period, reopen_period
from ..services.errors import ServiceError
from .forms import confirm_field, send_xlsx, submit
from .params import choice_arg, regions, require_granted_region, text_arg

bp = Blueprint("ledger", __name__, url_prefix="/ledger/<region_code>")
FUNDS = [SelectChoice(f.value, FUND_CN[f]) for f in Fund]


class CloseForm(FlaskForm):
    fund = SelectField("账套", choices=FUNDS)
    period = StringField("结账期间", validators=[DataRequired("请填写期间"), Length(max=7)],
                         render_kw={"placeholder": "YYYY-MM"})
    confirm = confirm_field("结账", "结账后该期间及以前不能再记账，更正须说明原因反结账")


class ReopenForm(FlaskForm):
    fund = SelectField("账套", choices=FUNDS)
    reason = StringField("反结账原因", validators=[DataRequired("反结账须说明原因"), Length(max=200)])


@bp.before_request
@login_required
def _granted() -> None:
    require_granted_region()


def _fund() -> Fund:
    return Fund(choice_arg("fund", {f.value for f in Fund}, Fund.EMPLOYEE.value))


def _periods() -> tuple[str, str]:
    today = clock.today()
    return request.args.get("from") or f"{today:%Y}-01", request.args.get("to") or f"{today:%Y-%m}"


def _read(query):
    """A report, or a 400 naming what was wrong with the parameters (a bad period, an unknown book)."""
    try:
        return query()
    except (ServiceError, LedgerError) as err:
        abort(400, description=err.message)




def _wants_xlsx() -> bool:
    return choice_arg("format", {"xlsx"}) == "xlsx"


def _common(region_code: str, fund: Fund, from_period: str, to_period: str) -> dict:
    return dict(region_code=region_code, region_name=regions()[region_code], fund=fund, funds=FUND_CN,
                from_period=from_period, to_period=to_period,
                query={"fund": fund.value, "from": from_period, "to": to_period})


@bp.get("")
def trial_balance(region_code: str):
    fund, (start, end) = _fund(), _periods()
    tb = _read(lambda: books.trial_balance(extensions.sessions(), region_code, fund, start, end))
    if _wants_xlsx():
        return send_xlsx(xlsx.trial_balance_xlsx(tb), f"trial-balance-{region_code}-{fund}-{start}-{end}")
    return render_template("ledger/trial_balance.html", tb=tb, **_common(region_code, fund, start, end))


@bp.get("/detail")
def detail(region_code: str):
    fund, (start, end) = _fund(), _periods()
    role = Role(choice_arg("account", {r.value for r in Role}, Role.ADVANCE.value))
    party = text_arg("institution")
    d = _read(lambda: books.account_detail(extensions.sessions(), region_code, fund, role, start, end, party))
    if _wants_xlsx():
        return send_xlsx(xlsx.account_detail_xlsx(d), f"detail-{region_code}-{fund}-{role}-{start}-{end}")
    accounts = _read(lambda: books.accounts(extensions.sessions(), region_code, fund))
    return render_template("ledger/detail.html", d=d, accounts=accounts, role=role, institution=party or "",
                           **_common(region_code, fund, start, end))


@bp.get("/statements/<code>")
def statement(region_code: str, code: str):
    fund, (start, end) = _fund(), _periods()
    if len(code) > 20:
        abort(404)
    d = _read(lambda: books.statement(extensions.sessions(), region_code, fund, code, start, end))
    if _wants_xlsx():
        return send_xlsx(xlsx.account_detail_xlsx(d), f"statement-{code}-{fund}-{start}-{end}")
    return render_template("ledger/detail.html", d=d, accounts=(), role=Role.ADVANCE, institution=code,
                           statement=True, **_common(region_code, fund, start, end))


@bp.get("/writeoffs")
def writeoffs(region_code: str):
    fund = _fund()
    register = _read(lambda: books.writeoffs(extensions.sessions(), region_code, fund))
    if _wants_xlsx():
        return send_xlsx(xlsx.writeoff_register_xlsx(register.book, register.rows), f"writeoffs-{region_code}-{fund}")
    return render_template("ledger/writeoffs.html", register=register, **_common(region_code, fund, "", ""))


def _closing_page(region_code: str, status: int = 200, **forms):
    forms.setdefault("close", CloseForm(formdata=None))
    forms.setdefault("reopen", ReopenForm(formdata=None))
    return render_template("ledger/closing.html", region_code=region_code, region_name=regions()[region_code],
                           closings=books.closings(extensions.sessions(), region_code), forms=forms,
                           funds=FUND_CN), status


@bp.get("/closing")
def closing(region_code: str):
    return _closing_page(region_code)


def _run(action, form: FlaskForm, field: str, region_code: str, key: str, done: str):
    return submit(action, getattr(form, field).errors, done, lambda: _closing_page(region_code, 400, **{key: form}),
                  lambda _: redirect(url_for("ledger.closing", region_code=region_code)))


@bp.post("/closing/close")
def close(region_code: str):
    form = CloseForm()
    if not form.validate_on_submit():
        return _closing_page(region_code, 400, close=form)
    period, fund = form.period.data.strip(), Fund(form.fund.data)
    return _run(lambda: close_period(extensions.sessions(), region_code, fund, period,
                                     current_user.identity.username),
                form, "period", region_code, "close", f"{FUND_CN[fund]}账套已结账至 {period}。")


@bp.post("/closing/reopen")
def reopen(region_code: str):
    form = ReopenForm()
    if not form.validate_on_submit():
        return _closing_page(region_code, 400, reopen=form)
    fund = Fund(form.fund.data)
    return _run(lambda: reopen_period(extensions.sessions(), region_code, fund, current_user.identity.username,
                                      form.reason.data.strip()),
                form, "reason", region_code, "reopen", f"{FUND_CN[fund]}账套已撤销最近一次结账。")
