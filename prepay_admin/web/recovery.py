"""The return path on screen (RULES §5, §6): what institutions owe back with its age, each receivable's
history and the finance department's actions on it, recovery triggers by the inspection department,
the year end, and the monthly settlement runs with the bank's payment list.

Everyone granted the region reads; each form calls one service, which checks the department (24§): a
refusal of who or where is a recorded 403, any other refusal is shown beside its field.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import clock, extensions
from ..exports import XLSX, receivables_xlsx, settlement_run_xlsx
from ..policy.accounts import DEPOSIT_ACCOUNT_CN, DEPOSIT_ACCOUNTS
from ..policy.departments import Department
from ..policy.facts import Fund
from ..policy.reasons import FUND_CN
from ..policy.recovery import CASE_CN, COURT_ROUTES, METHOD_CN, TRIGGER_CN, Method, PresettlementCase, TriggerKind
from ..queries import receivables as views
from ..services import presettlement, receivables, settlement, triggers, year_end
from ..services.errors import NotFound
from ..validation import Money, parse_date, parse_month
from .params import choice_arg, int_arg, regions, require_granted_region, text_arg
from .refusals import attempt

bp = Blueprint("recovery", __name__, url_prefix="/recovery/<region_code>")
FUNDS = [SelectChoice(f.value, FUND_CN[f]) for f in Fund]
ACCOUNT_CHOICES = [SelectChoice(key, name) for key, name in DEPOSIT_ACCOUNT_CN.items()]
PAGE_SIZE, PAGE_MAX = 50, 100_000


def _date_field(label: str = "日期") -> StringField:
    return StringField(label, validators=[DataRequired("请填写日期"), Length(max=10)],
                       default=lambda: clock.today().isoformat(), render_kw={"placeholder": "YYYY-MM-DD"})


def _text(label: str, limit: int, message: str) -> StringField:
    return StringField(label, validators=[DataRequired(message), Length(max=limit, message=f"不能超过 {limit} 个字符")])


class TriggerForm(FlaskForm):
    institution = _text("机构编码", 20, "请填写机构编码")
    kind = SelectField("收回情形（20§(一)）", choices=[SelectChoice(k.value, v) for k, v in TRIGGER_CN.items()])
    evidence = _text("依据文书或证据", 500, "须填写依据")
    decision_ref = StringField("处理决定文号（欺诈取得资格时必填）", validators=[Length(max=100)])
    decided_on = StringField("决定日期（欺诈时必填，三年自该日起算）", validators=[Length(max=10)],
                             render_kw={"placeholder": "YYYY-MM-DD"})
    day = _date_field("发生日期")


class YearEndForm(FlaskForm):
    year = StringField("到期的预付年度", validators=[DataRequired("请填写年度"), Length(max=4)])
    day = _date_field("办理日期")


class ClearingForm(FlaskForm):
    year = StringField("清算年度", validators=[DataRequired("请填写年度"), Length(max=4)], render_kw={"placeholder": "YYYY"})
    fund = SelectField("险种", choices=FUNDS)
    day = _date_field("结算日期")


class RunForm(FlaskForm):
    month = StringField("结算年月", validators=[DataRequired("请填写结算年月"), Length(max=7)],
                        render_kw={"placeholder": "YYYY-MM"})
    fund = SelectField("险种", choices=FUNDS)
    day = _date_field("结算日期")


class MethodForm(FlaskForm):
    method = SelectField("收回方式", choices=[SelectChoice(m.value, v) for m, v in METHOD_CN.items()])
    reason = StringField("说明", validators=[Length(max=200)])


class DemandForm(FlaskForm):
    day = _date_field("催收日期")


class RefundForm(FlaskForm):
    amount = _text("交回金额（元）", 30, "请填写金额")
    bank_ref = _text("银行交易流水号", 100, "请填写流水号")
    paid_into = SelectField("收款账户", choices=ACCOUNT_CHOICES)
    day = _date_field("到账日期")


class SuccessorForm(FlaskForm):
    successor = _text("承继方机构编码", 20, "请填写承继方")
    document_ref = _text("承继依据文书", 100, "请填写依据文书")
    day = _date_field("承继日期")


class CourtForm(FlaskForm):
    route = SelectField("途径", choices=[SelectChoice(k, v) for k, v in COURT_ROUTES.items()])
    case_ref = _text("案号", 100, "请填写案号")
    court = _text("受理法院", 100, "请填写法院")
    documents = TextAreaField("案件文书", validators=[DataRequired("请列明案件文书"), Length(max=2000)])
    day = _date_field("立案日期")


class WriteOffForm(FlaskForm):
    court_document_ref = _text("法院出具的法律文书", 200, "核销须有法院出具的法律文书")
    approval_ref = _text("人民政府批准文号", 200, "核销须有人民政府批准文号")
    day = _date_field("核销日期")


class AfterWriteOffForm(FlaskForm):
    amount = _text("收回金额（元）", 30, "请填写金额")
    bank_ref = _text("银行交易流水号", 100, "请填写流水号")
    day = _date_field("到账日期")


ACTION_FORMS = {"method": MethodForm, "demand": DemandForm, "refund": RefundForm, "successor": SuccessorForm,
                "court": CourtForm, "write-off": WriteOffForm, "after-write-off": AfterWriteOffForm}


@bp.before_request
@login_required
def _granted() -> None:
    require_granted_region()


def _user() -> str:
    return current_user.identity.username


def _date(field):
    day = parse_date((field.data or "").strip())
    if day is None:
        field.errors.append("日期格式须为 YYYY-MM-DD（2000—2100 年）")
    return day


def _money(field):
    try:
        return Money().deserialize((field.data or "").strip())
    except ValidationError as err:
        field.errors.append(str(err.messages[0]))
        return None


def _download(body: bytes, name: str) -> Response:
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


# -- the receivables view ------------------------------------------------------

def _filters() -> dict:
    return dict(status=choice_arg("status", set(views.STATUS), views.OWING),
                fund=choice_arg("fund", {f.value for f in Fund}), overdue=choice_arg("overdue", {"1"}),
                q=text_arg("q") or "")


def _receivables(region_code: str, f: dict, page: int = 1, size: int = PAGE_SIZE) -> views.ReceivablePage:
    """The receivables the query string asks for (``size`` 0: all of them, for the export)."""
    return views.receivables(extensions.sessions(), region_code, clock.today(), status=f["status"],
                             fund=Fund(f["fund"]) if f["fund"] else None, overdue_only=bool(f["overdue"]),
                             search=f["q"] or None, page=page, size=size)


def _list_page(region_code: str, status: int = 200, **forms):
    f = _filters()
    page = int_arg("page", 1, PAGE_MAX)
    found = _receivables(region_code, f, page)
    forms.setdefault("trigger", TriggerForm(formdata=None))
    due = views.year_end_due(extensions.sessions(), region_code, clock.today())
    forms.setdefault("year_end", YearEndForm(formdata=None, year=str(due.year)))
    query = {k: v for k, v in f.items() if v}
    return render_template("recovery/list.html", region_code=region_code, region_name=regions()[region_code],
                           found=found, page=page, pages=max(1, -(-found.count // PAGE_SIZE)), filters=f,
                           query=query, forms=forms, funds=FUND_CN, department=current_user.identity.department,
                           year_end_due=due,
                           departments=Department), status


@bp.get("")
def list_(region_code: str):
    if choice_arg("format", {"xlsx"}) == "xlsx":
        found = _receivables(region_code, _filters(), size=0)
        return _download(receivables_xlsx(regions()[region_code], found), f"receivables-{region_code}")
    return _list_page(region_code)


@bp.post("/triggers")
def trigger(region_code: str):
    form = TriggerForm()
    day = _date(form.day) if form.validate_on_submit() else None
    decided = _date(form.decided_on) if (form.decided_on.data or "").strip() else None
    if day is None or form.decided_on.errors:
        return _list_page(region_code, 400, trigger=form)
    ok, done = attempt(lambda: triggers.record_trigger(
        extensions.sessions(), region_code, form.institution.data, TriggerKind(form.kind.data), day,
        form.evidence.data, _user(), form.decision_ref.data or "", decided), form.institution.errors)
    if not ok:
        return _list_page(region_code, 400, trigger=form)
    owed = "，".join(f"{FUND_CN[f]} {a:,.2f} 元" for f, a in done.owed.items()) or "无持有的预付金"
    flash(f"已登记 {done.institution_code} 的收回情形：应收回 {owed}；停止拨付 {done.stopped} 项。"
          + (f"三年内不得申请，至 {done.barred_until}。" if done.barred_until else ""))
    return redirect(url_for("recovery.list_", region_code=region_code))


@bp.post("/year-end")
def close_year(region_code: str):
    form = YearEndForm()
    day = _date(form.day) if form.validate_on_submit() else None
    raw = (form.year.data or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        form.year.errors.append("年度须为四位数字")
        day = None
    if day is None:
        return _list_page(region_code, 400, year_end=form)
    ok, done = attempt(lambda: year_end.close_year(extensions.sessions(), region_code, int(raw), _user(), day),
                       form.year.errors)
    if not ok:
        return _list_page(region_code, 400, year_end=form)
    if done.already_done:
        flash(f"{raw} 年度年终处理已于此前办结，本次未作任何变更。")
        return redirect(url_for("recovery.list_", region_code=region_code))
    pending = f"；签约期未满待定 {len(done.undecided)} 家" if done.undecided else ""
    december = (f"；{'、'.join(FUND_CN[Fund(f)] for f in done.december_settled)} {raw} 年 12 月已结算，"
                f"应收回的款项从下一次月度结算起扣回") if done.december_settled else ""
    flash(f"{raw} 年度年终处理完成：新增应收回 {done.owed:,.2f} 元{pending}{december}。")
    return redirect(url_for("recovery.list_", region_code=region_code))


# -- one receivable --------------------------------------------------------------

def _detail(region_code: str, receivable_id: int):
    try:
        detail = views.receivable_detail(extensions.sessions(), receivable_id, clock.today())
    except NotFound:
        abort(404)
    if detail.region_code != region_code:
        abort(404)
    return detail


def _detail_page(region_code: str, receivable_id: int, status: int = 200, **forms):
    detail = _detail(region_code, receivable_id)
    for name, form_class in ACTION_FORMS.items():
        forms.setdefault(name, form_class(formdata=None))
    # the court route as the region's text words it (20§(二)5 提起诉讼; HB 五 依法申请强制执行)
    forms["court"].route.choices = [SelectChoice(k, detail.court_action if k == "litigation" else v)
                                    for k, v in COURT_ROUTES.items()]
    return render_template("recovery/detail.html", region_code=region_code, region_name=regions()[region_code],
                           d=detail, forms=forms, funds=FUND_CN,
                           finance=current_user.identity.department == Department.FINANCE), status


@bp.get("/<id:receivable_id>")
def show(region_code: str, receivable_id: int):
    return _detail_page(region_code, receivable_id)


@bp.post("/<id:receivable_id>/<action>")
def act(region_code: str, receivable_id: int, action: str):
    if action not in ACTION_FORMS:
        abort(404)
    _detail(region_code, receivable_id)
    form = ACTION_FORMS[action]()
    if not form.validate_on_submit():
        return _detail_page(region_code, receivable_id, 400, **{action: form})
    call = _ACTIONS[action](form, receivable_id)
    if call is None:
        return _detail_page(region_code, receivable_id, 400, **{action: form})
    errors = getattr(form, _FIELD[action]).errors
    ok, message = attempt(call, errors)
    if not ok:
        return _detail_page(region_code, receivable_id, 400, **{action: form})
    flash(message)
    return redirect(url_for("recovery.show", region_code=region_code, receivable_id=receivable_id))


def _method(form, rid):
    method = Method(form.method.data)

    def call():
        receivables.choose_method(extensions.sessions(), rid, method, _user(), form.reason.data or "")
        return f"收回方式已改为{METHOD_CN[method]}。"
    return call


def _demand(form, rid):
    day = _date(form.day)
    if day is None:
        return None

    def call():
        done = receivables.demand(extensions.sessions(), rid, day, _user())
        return f"已发出催收通知 {done.demand_ref}：尚欠 {done.outstanding:,.2f} 元，须于 {done.due_on} 前交回。"
    return call


def _refund(form, rid):
    day, amount = _date(form.day), _money(form.amount)
    if day is None or amount is None:
        return None

    def call():
        done = receivables.record_refund(extensions.sessions(), rid, amount, day, form.bank_ref.data, _user(),
                                         DEPOSIT_ACCOUNTS[form.paid_into.data])
        return f"{'该笔交回已登记过' if done.replayed else '已登记交回'} {done.amount:,.2f} 元，尚欠 {done.outstanding:,.2f} 元。"
    return call


def _successor(form, rid):
    day = _date(form.day)
    if day is None:
        return None

    def call():
        done = receivables.transfer_to_successor(extensions.sessions(), rid, form.successor.data, form.document_ref.data,
                                                 day, _user())
        applied = f"先以暂停拨付的结算款抵扣 {done.applied:,.2f} 元；" if done.applied else ""
        if done.successor_receivable_id is None:
            return f"{applied}已全部抵扣，无须转由承继方承担。"
        return f"{applied}已转由 {done.successor_code} 承担 {done.amount:,.2f} 元。"
    return call


def _court(form, rid):
    day = _date(form.day)
    if day is None:
        return None

    def call():
        receivables.take_to_court(extensions.sessions(), rid, form.route.data, form.case_ref.data, form.court.data,
                                  day, form.documents.data, _user())
        return f"已登记 {form.court.data} {form.case_ref.data}。"
    return call


def _write_off(form, rid):
    day = _date(form.day)
    if day is None:
        return None

    def call():
        done = receivables.write_off(extensions.sessions(), rid, form.court_document_ref.data, form.approval_ref.data,
                                     day, _user())
        return f"已核销 {done.amount:,.2f} 元，记入核销预付金备查簿。"
    return call


def _after_write_off(form, rid):
    day, amount = _date(form.day), _money(form.amount)
    if day is None or amount is None:
        return None

    def call():
        done = receivables.recover_after_write_off(extensions.sessions(), rid, amount, day, form.bank_ref.data, _user())
        return f"已登记核销后收回 {done.amount:,.2f} 元。"
    return call


_ACTIONS = {"method": _method, "demand": _demand, "refund": _refund, "successor": _successor, "court": _court,
            "write-off": _write_off, "after-write-off": _after_write_off}
_FIELD = {"method": "method", "demand": "day", "refund": "amount", "successor": "successor", "court": "case_ref",
          "write-off": "approval_ref", "after-write-off": "amount"}


# -- monthly settlement runs -------------------------------------------------------

def _runs_page(region_code: str, status: int = 200, form: RunForm | None = None,
               clearing: ClearingForm | None = None):
    return render_template("recovery/settlements.html", region_code=region_code, region_name=regions()[region_code],
                           runs=views.settlement_runs(extensions.sessions(), region_code),
                           form=form or RunForm(formdata=None), funds=FUND_CN,
                           clearing=clearing or ClearingForm(formdata=None, year=str(clock.today().year - 1)),
                           finance=current_user.identity.department == Department.FINANCE), status


@bp.get("/settlements")
def runs(region_code: str):
    return _runs_page(region_code)


@bp.post("/settlements")
def run(region_code: str):
    form = RunForm()
    day = _date(form.day) if form.validate_on_submit() else None
    month = parse_month((form.month.data or "").strip()) if day else None
    if day is not None and month is None:
        form.month.errors.append("结算年月须为 YYYY-MM")
    if month is None:
        return _runs_page(region_code, 400, form)
    ok, done = attempt(lambda: settlement.run_month(extensions.sessions(), region_code, month, Fund(form.fund.data),
                                                    _user(), day), form.month.errors)
    if not ok:
        return _runs_page(region_code, 400, form)
    flash(("该月已结算，未重复记账：" if done.replayed else "已办理月度结算：")
          + f"{done.institutions} 家，扣回预付金 {done.withheld:,.2f} 元，实付 {done.net:,.2f} 元。")
    return redirect(url_for("recovery.sheet", region_code=region_code, run_id=done.run_id))


@bp.post("/settlements/clearing")
def run_clearing(region_code: str):
    """RULES §5: the year's annual clearing settlement, which withholds what is owed as a month's does."""
    form = ClearingForm()
    day = _date(form.day) if form.validate_on_submit() else None
    raw = (form.year.data or "").strip()
    if day is not None and not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        form.year.errors.append("年度须为四位数字")
        day = None
    if day is None:
        return _runs_page(region_code, 400, clearing=form)
    ok, done = attempt(lambda: settlement.run_clearing(extensions.sessions(), region_code, int(raw),
                                                       Fund(form.fund.data), _user(), day), form.year.errors)
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
        return _download(settlement_run_xlsx(whole), f"payments-{region_code}-{found.run.month:%Y-%m-%d}-{found.run.fund}")
    page, q = int_arg("page", 1, PAGE_MAX), text_arg("q") or ""
    shown = views.settlement_run(extensions.sessions(), run_id, page=page, size=100, search=q or None)
    return render_template("recovery/sheet.html", region_code=region_code, region_name=regions()[region_code],
                           s=shown, page=page, pages=max(1, -(-shown.count // 100)), query={"q": q} if q else {},
                           search=q, funds=FUND_CN)


# -- monthly pre-settlements (26§) ------------------------------------------------

class ProposeForm(FlaskForm):
    institution = _text("机构编码", 20, "请填写机构编码")
    fund = SelectField("险种", choices=FUNDS)
    month = StringField("预结的结算年月", validators=[DataRequired("请填写年月"), Length(max=7)],
                        render_kw={"placeholder": "YYYY-MM"})
    case = SelectField("情形", choices=[SelectChoice(c.value, t) for c, t in CASE_CN.items()])
    incurred = _text("基金实际发生金额（元）", 30, "请填写实际发生金额")
    budget_left = StringField("总额指标余额（元，第一款）", validators=[Length(max=30)])
    amount = _text("预结金额（元）", 30, "请填写预结金额")
    application_ref = StringField("机构书面申请文号（第二款）", validators=[Length(max=100)])
    reason = StringField("说明", validators=[Length(max=500)])


class SignForm(FlaskForm):
    seen_hash = HiddenField()
    comment = StringField("意见", validators=[Length(max=500)])


class RejectForm(FlaskForm):
    reason = _text("退回原因", 500, "退回须说明原因")


class PayForm(FlaskForm):
    bank_ref = _text("银行交易流水号", 100, "请填写流水号")
    paid_from = SelectField("付款账户", choices=ACCOUNT_CHOICES)
    day = _date_field("到账日期")


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
    incurred, amount = _money(form.incurred), _money(form.amount)
    budget_left = _money(form.budget_left) if (form.budget_left.data or "").strip() else None
    if None in (month, incurred, amount) or (form.budget_left.errors):
        return _pre_list(region_code, 400, form)
    ok, done = attempt(lambda: presettlement.propose(
        extensions.sessions(), region_code, form.institution.data, Fund(form.fund.data), month,
        PresettlementCase(form.case.data), incurred, amount, _user(), budget_left=budget_left,
        application_ref=form.application_ref.data or "", reason=form.reason.data or ""), form.amount.errors)
    if not ok:
        return _pre_list(region_code, 400, form)
    flash(f"已登记月度预结金 {done.presettlement_id}，须经：{' → '.join(done.levels)}。")
    return redirect(url_for("recovery.presettlement_", region_code=region_code, presettlement_id=done.presettlement_id))


def _pre_detail(region_code: str, presettlement_id: int, status: int = 200, **forms):
    try:
        d = views.presettlement_detail(extensions.sessions(), presettlement_id)
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
    ok, _ = attempt(call, getattr(form, field).errors)
    if not ok:
        return _pre_detail(region_code, presettlement_id, 400, **{key: form})
    flash(done)
    return redirect(url_for("recovery.presettlement_", region_code=region_code, presettlement_id=presettlement_id))


@bp.post("/presettlements/<id:presettlement_id>/sign")
def sign_presettlement(region_code: str, presettlement_id: int):
    form = SignForm()
    return _pre_act(region_code, presettlement_id, "sign", form, "comment",
                    lambda: presettlement.sign_off(extensions.sessions(), presettlement_id, _user(),
                                                   form.comment.data or "", form.seen_hash.data or ""), "已签字。")


@bp.post("/presettlements/<id:presettlement_id>/reject")
def reject_presettlement(region_code: str, presettlement_id: int):
    form = RejectForm()
    return _pre_act(region_code, presettlement_id, "reject", form, "reason",
                    lambda: presettlement.reject(extensions.sessions(), presettlement_id, _user(), form.reason.data),
                    "已退回。")


@bp.post("/presettlements/<id:presettlement_id>/pay")
def pay_presettlement(region_code: str, presettlement_id: int):
    form = PayForm()
    day = _date(form.day) if form.validate_on_submit() else None
    if day is None:
        return _pre_detail(region_code, presettlement_id, 400, pay=form)
    return _pre_act(region_code, presettlement_id, "pay", form, "bank_ref",
                    lambda: presettlement.pay(extensions.sessions(), presettlement_id, form.bank_ref.data, day,
                                              _user(), DEPOSIT_ACCOUNTS[form.paid_from.data]),
                    "已确认拨付，将在此后的月度结算中扣回。")
