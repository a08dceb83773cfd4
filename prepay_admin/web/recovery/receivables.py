"""Receivables on screen: the list with its filters and export, recovery triggers, the year end, one
receivable's history and the finance department's actions on it (RULES §5, §6; 17§, 20§)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ... import clock, extensions
from ...exports import receivables_xlsx
from ...policy.accounts import DEPOSIT_ACCOUNTS
from ...policy.departments import Department
from ...policy.facts import Fund
from ...policy.reasons import FUND_CN
from ...policy.recovery import COURT_ROUTES, METHOD_CN, TRIGGER_CN, Method, TriggerKind
from ...queries import receivables as views
from ...services import receivables, triggers, year_end
from ...services.errors import NotFound
from ..forms import (
    confirm_field,
    date_field,
    institution_field,
    read_date,
    read_institution,
    read_money,
    send_xlsx,
    text_field,
    username,
)
from ..params import choice_arg, int_arg, regions, text_arg
from ..refusals import attempt
from . import ACCOUNT_CHOICES, PAGE_MAX, PAGE_SIZE, bp


class TriggerForm(FlaskForm):
    institution = institution_field()
    kind = SelectField("收回情形（20§(一)）", choices=[SelectChoice(k.value, v) for k, v in TRIGGER_CN.items()])
    evidence = text_field("依据文书或证据", 500, "须填写依据")
    decision_ref = StringField("处理决定文号（欺诈取得资格时必填）", validators=[Length(max=100)])
    decided_on = StringField("决定日期（欺诈时必填，三年自该日起算）", validators=[Length(max=10)],
                             render_kw={"placeholder": "YYYY-MM-DD"})
    day = date_field("发生日期")


class YearEndForm(FlaskForm):
    year = StringField("到期的预付年度", validators=[DataRequired("请填写年度"), Length(max=4)])
    day = date_field("办理日期")
    confirm = confirm_field("办理该年度的年终处理（多退少补、清算收回，17§）")



class MethodForm(FlaskForm):
    method = SelectField("收回方式", choices=[SelectChoice(m.value, v) for m, v in METHOD_CN.items()])
    reason = StringField("说明", validators=[Length(max=200)])


class DemandForm(FlaskForm):
    day = date_field("催收日期")


class RefundForm(FlaskForm):
    amount = text_field("交回金额（元）", 30, "请填写金额")
    bank_ref = text_field("银行交易流水号", 100, "请填写流水号")
    paid_into = SelectField("收款账户", choices=ACCOUNT_CHOICES)
    day = date_field("到账日期")


class SuccessorForm(FlaskForm):
    successor = institution_field("承继方机构编码")
    document_ref = text_field("承继依据文书", 100, "请填写依据文书")
    day = date_field("承继日期")


class CourtForm(FlaskForm):
    route = SelectField("途径", choices=[SelectChoice(k, v) for k, v in COURT_ROUTES.items()])
    case_ref = text_field("案号", 100, "请填写案号")
    court = text_field("受理法院", 100, "请填写法院")
    documents = TextAreaField("案件文书", validators=[DataRequired("请列明案件文书"), Length(max=2000)])
    day = date_field("立案日期")


class WriteOffForm(FlaskForm):
    court_document_ref = text_field("法院出具的法律文书", 200, "核销须有法院出具的法律文书")
    approval_ref = text_field("人民政府批准文号", 200, "核销须有人民政府批准文号")
    day = date_field("核销日期")


class AfterWriteOffForm(FlaskForm):
    amount = text_field("收回金额（元）", 30, "请填写金额")
    bank_ref = text_field("银行交易流水号", 100, "请填写流水号")
    day = date_field("到账日期")


ACTION_FORMS = {"method": MethodForm, "demand": DemandForm, "refund": RefundForm, "successor": SuccessorForm,
                "court": CourtForm, "write-off": WriteOffForm, "after-write-off": AfterWriteOffForm}



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
        return send_xlsx(receivables_xlsx(regions()[region_code], found), f"receivables-{region_code}")
    return _list_page(region_code)


@bp.post("/triggers")
def trigger(region_code: str):
    form = TriggerForm()
    day = read_date(form.day) if form.validate_on_submit() else None
    decided = read_date(form.decided_on) if (form.decided_on.data or "").strip() else None
    code = read_institution(form.institution, region_code) if day is not None else None
    if day is None or code is None or form.decided_on.errors:
        return _list_page(region_code, 400, trigger=form)
    ok, done = attempt(lambda: triggers.record_trigger(
        extensions.sessions(), region_code, code, TriggerKind(form.kind.data), day,
        form.evidence.data, username(), form.decision_ref.data or "", decided), form.institution.errors)
    if not ok:
        return _list_page(region_code, 400, trigger=form)
    owed = "，".join(f"{FUND_CN[f]} {a:,.2f} 元" for f, a in done.owed.items()) or "无持有的预付金"
    flash(f"已登记 {done.institution_code} 的收回情形：应收回 {owed}；停止拨付 {done.stopped} 项。"
          + (f"三年内不得申请，至 {done.barred_until}。" if done.barred_until else ""))
    return redirect(url_for("recovery.list_", region_code=region_code))


@bp.post("/year-end")
def close_year(region_code: str):
    form = YearEndForm()
    day = read_date(form.day) if form.validate_on_submit() else None
    raw = (form.year.data or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        form.year.errors.append("年度须为四位数字")
        day = None
    if day is None:
        return _list_page(region_code, 400, year_end=form)
    ok, done = attempt(lambda: year_end.close_year(extensions.sessions(), region_code, int(raw), username(), day),
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
    call = _ACTIONS[action](form, receivable_id, region_code)
    if call is None:
        return _detail_page(region_code, receivable_id, 400, **{action: form})
    errors = getattr(form, _FIELD[action]).errors
    ok, message = attempt(call, errors)
    if not ok:
        return _detail_page(region_code, receivable_id, 400, **{action: form})
    flash(message)
    return redirect(url_for("recovery.show", region_code=region_code, receivable_id=receivable_id))


def _method(form, rid, region_code):
    method = Method(form.method.data)

    def call():
        receivables.choose_method(extensions.sessions(), rid, method, username(), form.reason.data or "")
        return f"收回方式已改为{METHOD_CN[method]}。"
    return call


def _demand(form, rid, region_code):
    day = read_date(form.day)
    if day is None:
        return None

    def call():
        done = receivables.demand(extensions.sessions(), rid, day, username())
        return f"已发出催收通知 {done.demand_ref}：尚欠 {done.outstanding:,.2f} 元，须于 {done.due_on} 前交回。"
    return call


def _refund(form, rid, region_code):
    day, amount = read_date(form.day), read_money(form.amount)
    if day is None or amount is None:
        return None

    def call():
        done = receivables.record_refund(extensions.sessions(), rid, amount, day, form.bank_ref.data, username(),
                                         DEPOSIT_ACCOUNTS[form.paid_into.data])
        return f"{'该笔交回已登记过' if done.replayed else '已登记交回'} {done.amount:,.2f} 元，尚欠 {done.outstanding:,.2f} 元。"
    return call


def _successor(form, rid, region_code):
    day = read_date(form.day)
    successor = read_institution(form.successor, region_code)
    if day is None or successor is None:
        return None

    def call():
        done = receivables.transfer_to_successor(extensions.sessions(), rid, successor, form.document_ref.data,
                                                 day, username())
        applied = f"先以暂停拨付的结算款抵扣 {done.applied:,.2f} 元；" if done.applied else ""
        if done.successor_receivable_id is None:
            return f"{applied}已全部抵扣，无须转由承继方承担。"
        return f"{applied}已转由 {done.successor_code} 承担 {done.amount:,.2f} 元。"
    return call


def _court(form, rid, region_code):
    day = read_date(form.day)
    if day is None:
        return None

    def call():
        receivables.take_to_court(extensions.sessions(), rid, form.route.data, form.case_ref.data, form.court.data,
                                  day, form.documents.data, username())
        return f"已登记 {form.court.data} {form.case_ref.data}。"
    return call


def _write_off(form, rid, region_code):
    day = read_date(form.day)
    if day is None:
        return None

    def call():
        done = receivables.write_off(extensions.sessions(), rid, form.court_document_ref.data, form.approval_ref.data,
                                     day, username())
        return f"已核销 {done.amount:,.2f} 元，记入核销预付金备查簿。"
    return call


def _after_write_off(form, rid, region_code):
    day, amount = read_date(form.day), read_money(form.amount)
    if day is None or amount is None:
        return None

    def call():
        done = receivables.recover_after_write_off(extensions.sessions(), rid, amount, day, form.bank_ref.data, username())
        return f"已登记核销后收回 {done.amount:,.2f} 元。"
    return call


_ACTIONS = {"method": _method, "demand": _demand, "refund": _refund, "successor": _successor, "court": _court,
            "write-off": _write_off, "after-write-off": _after_write_off}
_FIELD = {"method": "method", "demand": "day", "refund": "amount", "successor": "successor", "court": "case_ref",
          "write-off": "approval_ref", "after-write-off": "amount"}
