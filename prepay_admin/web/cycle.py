"""The annual cycle on screens (RULES §4): open the year, take applications with their self-check,
determine, fix the list, register securities and sign in the window, prepare the batch, and pay.

Each form posts to one route that parses it and calls one service, as the console does; a refusal
for the department or the region is a 403, recorded; any other refusal is shown beside its field,
with what was typed kept.
"""
from __future__ import annotations

import io
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import extensions
from ..exports import XLSX, applications_xlsx, bank_list_xlsx
from ..intake.kinds import PAYMENT_RETURN
from ..intake.writing import data_xlsx
from ..policy.accounts import DEPOSIT_ACCOUNT_CN, DEPOSIT_ACCOUNTS
from ..policy.facts import SecurityKind
from ..policy.reasons import ASSESSMENT_CN, FUND_CN
from ..policy.transitions import DeterminationState
from ..queries.access import check_batch, granted_regions
from ..queries.applications import applications as applications_page
from ..queries.cycle import (
    bank_lists,
    cycle_page,
    pending_instruction_records,
    prerequisites,
    sendable_instruction_ids,
    window_codes,
)
from ..queries.profiles import region_versions
from ..services import applications, determination, payment, payment_return, signing
from ..services import batch as batches
from ..services.campaign import open_campaign
from ..validation import parse_count
from .forms import (
    confirm_field,
    date_field,
    institution_field,
    read_date,
    read_institution,
    read_money,
    send_xlsx,
    submit,
    submit_form,
    username,
)
from .params import choice_arg, int_arg, regions, text_arg
from .refusals import attempt, attempt_on, carry_out

bp = Blueprint("cycle", __name__, url_prefix="/cycle/<region_code>/<year:year>")
ASSESSMENTS = [SelectChoice(key, name) for key, name in ASSESSMENT_CN.items()]
ACCOUNT_CHOICES = [SelectChoice(key, name) for key, name in DEPOSIT_ACCOUNT_CN.items()]
PAGE_SIZE = 50
PAGE_MAX = 100_000
EXPORT_ROWS = 200_000  # a province's applications in one workbook
PROBLEMS_SHOWN = 50  # of a refused return file, beside its field






class ApplyForm(FlaskForm):
    institution = institution_field()
    submitted_on = date_field("申请日期")
    last_assessment = SelectField("上一年度绩效考核评价结果", choices=ASSESSMENTS, default="good")
    signed_by = StringField("医院负责人", validators=[DataRequired("请填写负责人"), Length(max=60)])
    commitment = BooleanField("承诺对所提交资料的真实性负责")


# the attachment's yes/no questions, in its order, as checkboxes (checked = 是/有)
for _key, _question in applications.SELF_CHECK_QUESTIONS.items():
    if _key != "last_assessment":
        setattr(ApplyForm, _key, BooleanField(_question, default=applications.clean_answers()[_key]))


class DateForm(FlaskForm):
    day = date_field("日期")


class FixListForm(DateForm):
    confirm = confirm_field("预付名单并开始签约期")


class BounceForm(FlaskForm):
    failure = StringField("退票原因", validators=[DataRequired("须填写银行退票原因"), Length(max=200)],
                          render_kw={"placeholder": "如：账户已销户、户名不符"})


class ReissueForm(FlaskForm):
    note = StringField("重新拨付依据", validators=[DataRequired("须说明重新拨付的依据"), Length(max=200)],
                       render_kw={"placeholder": "如：机构账户变更函〔2026〕3号"})
    day = date_field("日期")


class ReviewForm(FlaskForm):
    comment = StringField("复核意见", validators=[DataRequired("须填写复核意见"), Length(max=200)],
                          render_kw={"placeholder": "如：已核对账户变更函及银行核实记录"})


class ActionForm(FlaskForm):
    """A button with nothing to fill in: only its CSRF token."""


class SecurityForm(FlaskForm):
    institution = HiddenField()
    kind = SelectField("类型", choices=[SelectChoice(SecurityKind.PLEDGE.value, "资产抵押"),
                                      SelectChoice(SecurityKind.CREDIT_GUARANTEE.value, "信用担保")])
    value = StringField("金额（元）", validators=[DataRequired("请填写金额"), Length(max=30)])
    ref = StringField("登记或担保函编号", validators=[DataRequired("请填写编号"), Length(max=100)])
    day = date_field("登记日期")


class SignForm(FlaskForm):
    institution = HiddenField()
    day = date_field("签约日期")


class ConfirmForm(FlaskForm):
    bank_ref = StringField("银行流水号", validators=[DataRequired("请填写银行流水号"), Length(max=100)])
    paid_from = SelectField("付款账户", choices=ACCOUNT_CHOICES)
    day = date_field("到账日期")


class ReturnForm(FlaskForm):
    file = FileField("银行代发回单（.xlsx 或 .csv）", validators=[FileRequired("请选择银行回单文件")])
    paid_from = SelectField("付款账户", choices=ACCOUNT_CHOICES)


SCOPES = [SelectChoice("selected", "勾选的"), SelectChoice("all", "查询结果中全部待办的")]


class BulkWindowForm(FlaskForm):
    """批量办理 in the signing window: the selection's credit guarantees under one letter (each for its
    determined advance, together within the letter's total) and/or agreements, one step
    (``signing.register_and_sign``); asset pledges are registered one by one."""
    scope = RadioField("办理范围", choices=SCOPES, default="selected")
    registration_ref = StringField("信用担保函编号", validators=[Length(max=100)],
                                   render_kw={"placeholder": "如：通卫担〔2027〕1号"})
    covered = StringField("担保函载明的担保总额（元）", validators=[Length(max=30)])
    day = date_field("办理日期")


BULK_ACTIONS = {"security_sign": "登记信用担保并签订协议", "security": "登记信用担保", "sign": "签订协议"}


class BulkConfirmForm(FlaskForm):
    """Selected instructions confirmed from the bank's batch transfer (``payment_return.confirm_selected``)."""
    scope = RadioField("确认范围", choices=SCOPES, default="selected")
    bank_ref = StringField("银行代发批次流水号", validators=[DataRequired("请填写银行代发批次流水号"), Length(max=80)])
    paid_count = StringField("回单成功笔数", validators=[DataRequired("请填写银行回单上的成功笔数"), Length(max=7)])
    paid_total = StringField("回单成功金额（元）", validators=[DataRequired("请填写银行回单上的成功金额"), Length(max=30)])
    paid_from = SelectField("付款账户", choices=ACCOUNT_CHOICES)
    day = date_field("到账日期")


class VoidForm(FlaskForm):
    reason = StringField("作废原因", validators=[DataRequired("作废须说明原因"), Length(max=200)])


@bp.before_request
@login_required
def _granted() -> None:
    """Another region's cycle is as if it did not exist."""
    if request.view_args["region_code"] not in granted_regions(extensions.sessions(), current_user.identity.username):
        abort(404)




def _page(region_code: str, year: int, status: int = 200, action_errors: dict[str, str] | None = None, **bound):
    """The cycle page; ``bound`` holds a submitted form (with its errors) in place of a fresh one, and
    ``action_errors`` the refusal of a button with no fields (shown beside that button)."""
    window_page, instruction_page = int_arg("page", 1, PAGE_MAX), int_arg("ipage", 1, PAGE_MAX)
    search = text_arg("q")
    page = cycle_page(extensions.sessions(), region_code, year, window_page, instruction_page, search, PAGE_SIZE)
    forms = {"apply": ApplyForm(formdata=None), "fix": FixListForm(formdata=None)}
    forms.update(bound)
    questions = [(k, q) for k, q in applications.SELF_CHECK_QUESTIONS.items() if k != "last_assessment"]
    pages = {"window": (min(window_page, max(1, -(-page.window_count // PAGE_SIZE))),
                        max(1, -(-page.window_count // PAGE_SIZE))),
             "instructions": (min(instruction_page, max(1, -(-page.instruction_count // PAGE_SIZE))),
                              max(1, -(-page.instruction_count // PAGE_SIZE)))}
    versions = [] if page.opened else region_versions(extensions.sessions(), region_code, username())
    needs = () if page.opened else prerequisites(extensions.sessions(), region_code, year)
    return render_template("cycle.html", p=page, forms=forms, versions=versions, bound=bound, action_errors=action_errors or {},
                           needs=needs, blocked=[n for n in needs if n.required and not n.met],
                           pages=pages, search=search or "",
                           fund_cn=FUND_CN, questions=questions,
                           security_form=SecurityForm, sign_form=SignForm, confirm_form=ConfirmForm,
                           void_form=VoidForm, pay_form=DateForm, return_form=ReturnForm, bounce_form=BounceForm,
                           reissue_form=ReissueForm, review_form=ReviewForm, paying_accounts=DEPOSIT_ACCOUNT_CN,
                           bulk_window=bound.get("bulk:window") or BulkWindowForm(formdata=None),
                           bulk_confirm_form=BulkConfirmForm, bulk_actions=BULK_ACTIONS,
                           chosen=set(request.form.getlist("code")) | set(request.form.getlist("instruction"))), status


def _dated(form: FlaskForm, region_code: str, year: int, key: str):
    """A submitted form with a date: (the date, None), or (None, the page with the form's errors)."""
    day = read_date(form.day) if form.validate_on_submit() else None
    return (day, None) if day is not None else (None, _page(region_code, year, 400, **{key: form}))


def _run(action, form, field: str, region_code: str, year: int, key: str, done: str):
    """Call a service; 403 for who may not act, the message beside ``field`` for anything else."""
    return submit_form(action, form, field, done, lambda: _page(region_code, year, 400, **{key: form}),
                       lambda _: redirect(url_for("cycle.show", region_code=region_code, year=year)))


def _act(action, region_code: str, year: int, key: str, done: str):
    """A button: 403 for who may not act, the refusal beside the button for anything else."""
    if not ActionForm().validate_on_submit():
        abort(400)
    errors: list[str] = []
    return submit(action, errors, done, lambda: _page(region_code, year, 400, action_errors={key: errors[0]}),
                  lambda _: redirect(url_for("cycle.show", region_code=region_code, year=year)))


@bp.get("")
def show(region_code: str, year: int):
    return _page(region_code, year)


@bp.get("/applications")
def register(region_code: str, year: int):
    """受理台账 (15§(一)): every application received, in the order of codes, with what its self-check
    declares, before and after determination."""
    page = int_arg("page", 1, PAGE_MAX)
    found = carry_out(lambda: applications_page(extensions.sessions(), region_code, year, page, PAGE_SIZE))
    pages = max(1, -(-found.total // PAGE_SIZE))
    if page > pages:
        found = carry_out(lambda: applications_page(extensions.sessions(), region_code, year, pages, PAGE_SIZE))
    return render_template("applications.html", region_code=region_code, year=year, found=found,
                           page=min(page, pages), pages=pages, offset=(min(page, pages) - 1) * PAGE_SIZE,
                           region_name=regions()[region_code])


@bp.get("/applications.xlsx")
def register_xlsx(region_code: str, year: int):
    found = carry_out(lambda: applications_page(extensions.sessions(), region_code, year, 1, EXPORT_ROWS))
    return send_xlsx(applications_xlsx(regions()[region_code], year, found), f"受理台账-{region_code}-{year}")


@bp.post("/open")
def open_year(region_code: str, year: int):
    raw = (request.form.get("profile_version") or "").strip()
    version = parse_count(raw, 1, 9999) if raw else None
    if raw and version is None:
        return _page(region_code, year, 400, action_errors={"open": "政策参数方案版本无效"})
    return _act(lambda: open_campaign(extensions.sessions(), region_code, year, username(), version), region_code, year,
                "open", f"已开启 {year} 年度预付，基金可支付月数已测算。")


@bp.post("/apply")
def apply(region_code: str, year: int):
    form = ApplyForm()
    if not form.validate_on_submit():
        return _page(region_code, year, 400, apply=form)
    day = read_date(form.submitted_on)
    if day is None:
        return _page(region_code, year, 400, apply=form)
    answers = {key: getattr(form, key).data for key in applications.SELF_CHECK_QUESTIONS if key != "last_assessment"}
    answers.update(last_assessment=form.last_assessment.data, commitment=form.commitment.data,
                   signed_by=form.signed_by.data.strip())
    code = read_institution(form.institution, region_code)
    if code is None:
        return _page(region_code, year, 400, apply=form)
    return _run(lambda: applications.apply(extensions.sessions(), region_code, year, code, answers, day, username()),
                form, "institution", region_code, year, "apply", f"已受理 {code} 的申请。")


@bp.post("/determine")
def determine(region_code: str, year: int):
    return _act(lambda: determination.determine(extensions.sessions(), region_code, year, username()), region_code,
                year, "determine", "已按申请测算核定。")


@bp.post("/fix-list")
def fix_list(region_code: str, year: int):
    form = FixListForm()
    day, refused = _dated(form, region_code, year, "fix")
    if refused:
        return refused
    return _run(lambda: determination.fix_list(extensions.sessions(), region_code, year, username(), day), form, "day",
                region_code, year, "fix", "名单已确定，签约期开始。")


@bp.post("/security")
def security(region_code: str, year: int):
    form = SecurityForm()
    key = f"security:{form.institution.data}"
    if not form.validate_on_submit():
        return _page(region_code, year, 400, **{key: form})
    day, value = read_date(form.day), read_money(form.value)
    if day is None or value is None:
        return _page(region_code, year, 400, **{key: form})
    code = form.institution.data
    return _run(lambda: signing.register_security(extensions.sessions(), region_code, year, code,
                                                  SecurityKind(form.kind.data), value, form.ref.data.strip(), day,
                                                  username()),
                form, "value", region_code, year, key, f"已登记 {code} 的担保、抵押，预付金额已按其额度限额。")


@bp.post("/sign")
def sign(region_code: str, year: int):
    form = SignForm()
    key = f"sign:{form.institution.data}"
    day, refused = _dated(form, region_code, year, key)
    if refused:
        return refused
    code = form.institution.data
    return _run(lambda: signing.sign(extensions.sessions(), region_code, year, code, day, username()),
                form, "day", region_code, year, key, f"{code} 已签订预付协议。")


@bp.post("/window/bulk")
def window_bulk(region_code: str, year: int):
    """批量办理: the ticked institutions (or all the search finds still to do) secured and/or signed in one step."""
    form = BulkWindowForm()
    action = request.form.get("action", "")
    if action not in BULK_ACTIONS:
        abort(400)
    day = read_date(form.day) if form.validate_on_submit() else None
    security = action.startswith("security")
    if security and not (form.registration_ref.data or "").strip():
        form.registration_ref.errors.append("登记担保须填写信用担保函编号")
    covered = read_money(form.covered) if security else None
    if day is None or form.registration_ref.errors or (security and covered is None):
        return _page(region_code, year, 400, **{"bulk:window": form})
    if form.scope.data == "all":
        states = (DeterminationState.LISTED,) if security else (DeterminationState.LISTED, DeterminationState.SECURED)
        codes = window_codes(extensions.sessions(), region_code, year, states, text_arg("q"))
    else:
        codes = [c[:20] for c in request.form.getlist("code")[:signing.BULK_MAX + 1]]
    ref = (form.registration_ref.data or "").strip()
    return _run(lambda: signing.register_and_sign(extensions.sessions(), region_code, year, codes, day, username(),
                                                  security=(SecurityKind.CREDIT_GUARANTEE, ref) if security else None,
                                                  sign=action != "security", covered=covered),
                form, "scope", region_code, year, "bulk:window",
                f"已为 {len(set(codes))} 家机构{BULK_ACTIONS[action]}，每家机构单独记录。")


@bp.post("/prepare")
def prepare(region_code: str, year: int):
    return _act(lambda: batches.prepare(extensions.sessions(), region_code, year, username()), region_code, year,
                "prepare", "已编制拨付批次，请打开批次核对后提交。")


@bp.post("/batches/<id:batch_id>/pay")
def pay(region_code: str, year: int, batch_id: int):
    form = DateForm()
    key = f"pay:{batch_id}"
    day, refused = _dated(form, region_code, year, key)
    if refused:
        return refused
    return _run(lambda: payment.issue(extensions.sessions(), batch_id, username(), day), form, "day",
                region_code, year, key, f"批次 {batch_id} 已生成拨付指令。")


@bp.post("/instructions/<id:instruction_id>/confirm")
def confirm(region_code: str, year: int, instruction_id: int):
    form = ConfirmForm()
    key = f"confirm:{instruction_id}"
    day, refused = _dated(form, region_code, year, key)
    if refused:
        return refused
    return _run(lambda: payment.confirm(extensions.sessions(), instruction_id, form.bank_ref.data.strip(), day,
                                        username(), DEPOSIT_ACCOUNTS[form.paid_from.data]),
                form, "bank_ref", region_code, year, key, f"拨付指令 {instruction_id} 已确认到账并记账。")


@bp.post("/batches/<id:batch_id>/confirm-selected")
def confirm_selected(region_code: str, year: int, batch_id: int):
    """The ticked instructions (or all the search finds awaiting the bank) confirmed from one batch transfer."""
    form = BulkConfirmForm()
    key = f"bulk-confirm:{batch_id}"
    day, refused = _dated(form, region_code, year, key)
    if refused:
        return refused
    count, total = parse_count((form.paid_count.data or "").strip(), 1, 200_000), read_money(form.paid_total)
    if count is None:
        form.paid_count.errors.append("须为 1 至 200,000 的整数")
    if count is None or total is None:
        return _page(region_code, year, 400, **{key: form})
    _batch_of_the_region(region_code, batch_id)
    if form.scope.data == "all":
        ids = sendable_instruction_ids(extensions.sessions(), batch_id, text_arg("q"))
    else:
        ids = [n for n in (parse_count(v, 1, 2**62) for v in request.form.getlist("instruction")) if n is not None]
    ok, done = attempt_on(lambda: payment_return.confirm_selected(
        extensions.sessions(), batch_id, ids, form.bank_ref.data, day, username(), DEPOSIT_ACCOUNTS[form.paid_from.data],
        paid_count=count, paid_total=total), form, "bank_ref")
    if not ok:
        return _page(region_code, year, 400, **{key: form})
    flash(f"批次 {batch_id} 已确认到账并记账 {done.confirmed} 笔，合计 {done.amount:,.2f} 元（流水号记为“代发批次流水号-指令号”）"
          + (f"；{done.replayed} 笔此前已确认，未重复记账" if done.replayed else "") + "。")
    return redirect(url_for("cycle.show", region_code=region_code, year=year))


def _batch_of_the_region(region_code: str, batch_id: int) -> None:
    """Another region's batch, or one of another year's page, is as if it did not exist (404)."""
    carry_out(lambda: check_batch(extensions.sessions(), username(), batch_id, region_code))


@bp.get("/batches/<id:batch_id>/payment-sheet.xlsx")
def payment_sheet(region_code: str, year: int, batch_id: int):
    """The batch's pending instructions for the bank, in the layout its return comes back in."""
    carry_out(lambda: check_batch(extensions.sessions(), username(), batch_id))
    out = io.BytesIO()
    data_xlsx(PAYMENT_RETURN, pending_instruction_records(extensions.sessions(), batch_id), out)
    name = f"拨付批次{batch_id}-代发清单.xlsx"
    return Response(out.getvalue(), mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=payment-sheet-{batch_id}.xlsx; filename*=UTF-8''{quote(name)}"})


@bp.post("/batches/<id:batch_id>/return")
def confirm_return(region_code: str, year: int, batch_id: int):
    """The bank's return confirms the batch's instructions at once; a bad file lists every problem."""
    form = ReturnForm()
    key = f"return:{batch_id}"
    if not form.validate_on_submit():
        return _page(region_code, year, 400, **{key: form})
    ok, done = attempt(lambda: payment_return.confirm_return(
        extensions.sessions(), batch_id, form.file.data.stream, username(), DEPOSIT_ACCOUNTS[form.paid_from.data]), form.file.errors)
    if not ok:
        if len(form.file.errors) > PROBLEMS_SHOWN:  # a whole batch gone wrong: the first ones say why
            hidden = len(form.file.errors) - PROBLEMS_SHOWN
            form.file.errors[PROBLEMS_SHOWN:] = [f"……另有 {hidden:,} 处错误未列出（共 {len(form.file.errors):,} 处）"]
        return _page(region_code, year, 400, **{key: form})
    flash(f"批次 {batch_id} 回单 {done.rows} 行：确认到账并记账 {done.confirmed} 笔，合计 {done.amount:,.2f} 元"
          + (f"；银行退票 {done.failed} 笔，已标记，待更正账户后重新拨付" if done.failed else "")
          + (f"；{done.replayed} 笔此前已确认，未重复记账" if done.replayed else "") + "。")
    return redirect(url_for("cycle.show", region_code=region_code, year=year))


@bp.get("/batches/<id:batch_id>/bank-list.xlsx")
def bank_list(region_code: str, year: int, batch_id: int):
    """15§(四): the 代发清单 the bank pays from, one sheet per paying account, with its 合计."""
    carry_out(lambda: check_batch(extensions.sessions(), username(), batch_id))
    paid_from = DEPOSIT_ACCOUNTS[choice_arg("paid_from", list(DEPOSIT_ACCOUNTS), "expenditure") or "expenditure"]
    region_name, campaign_year, lists = bank_lists(extensions.sessions(), batch_id, paid_from)
    return send_xlsx(bank_list_xlsx(region_name, campaign_year, batch_id, lists), f"拨付批次{batch_id}-银行代发清单")


@bp.post("/instructions/<id:instruction_id>/bounce")
def bounce(region_code: str, year: int, instruction_id: int):
    """退票: the bank returned the transfer unpaid, with its reason (nothing is posted)."""
    form = BounceForm()
    key = f"bounce:{instruction_id}"
    if not form.validate_on_submit():
        return _page(region_code, year, 400, **{key: form})
    return _run(lambda: payment.bounce(extensions.sessions(), instruction_id, form.failure.data.strip(), username()),
                form, "failure", region_code, year, key, f"拨付指令 {instruction_id} 已登记银行退票。")


@bp.post("/instructions/<id:instruction_id>/reissue")
def reissue(region_code: str, year: int, instruction_id: int):
    """A returned instruction sent again, to the account the institution has registered now."""
    form = ReissueForm()
    key = f"reissue:{instruction_id}"
    day, refused = _dated(form, region_code, year, key)
    if refused:
        return refused
    return _run(lambda: payment.reissue(extensions.sessions(), instruction_id, username(), form.note.data.strip(), day),
                form, "note", region_code, year, key, f"拨付指令 {instruction_id} 已重新拨付，待内审部门复核后发送银行。")


@bp.post("/instructions/<id:instruction_id>/approve-reissue")
def approve_reissue(region_code: str, year: int, instruction_id: int):
    """24§(四): 内审 reviews a re-issue before it is sent to the bank."""
    form = ReviewForm()
    key = f"review:{instruction_id}"
    if not form.validate_on_submit():
        return _page(region_code, year, 400, **{key: form})
    return _run(lambda: payment.approve_reissue(extensions.sessions(), instruction_id, username(),
                                                form.comment.data.strip()),
                form, "comment", region_code, year, key, f"拨付指令 {instruction_id} 的重新拨付已复核同意，可发送银行。")


@bp.post("/instructions/<id:instruction_id>/void")
def void(region_code: str, year: int, instruction_id: int):
    form = VoidForm()
    key = f"void:{instruction_id}"
    if not form.validate_on_submit():
        return _page(region_code, year, 400, **{key: form})
    return _run(lambda: payment.void(extensions.sessions(), instruction_id, username(), form.reason.data.strip()),
                form, "reason", region_code, year, key, f"拨付指令 {instruction_id} 已作废。")
