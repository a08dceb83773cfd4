"""Administration screens: staff, their roles and regions, and the tokens other systems act with
(管理员 only); the policy profile in force for a region's year with its overrides and their approval
references (14§); the holiday calendar the signing windows count on.

Every change is a service call as the signed-in member of staff; the service checks the role.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import clock, extensions
from ..policy.departments import DEPARTMENT_CN, Department
from ..policy.method import describe_method
from ..queries.administration import staffing
from ..queries.calendar import year_calendar
from ..queries.policy import profile_in_force
from ..services import administration
from ..services.calendar import set_day
from ..services.policy import record_override
from ..validation import YEAR_MAX, YEAR_MIN, InputError, parse_date, read_json
from .forms import confirm_field, submit_form
from .forms import username as _me  # the signed-in administrator (routes here name users `username`)
from .params import int_arg, regions
from .refusals import carry_out, refuse

bp = Blueprint("admin", __name__, url_prefix="/admin")
DEPARTMENTS = [SelectChoice(d.value, DEPARTMENT_CN[d]) for d in Department]


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=60)])
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=60)])
    department = SelectField("部门（角色）", choices=DEPARTMENTS)
    region = SelectField("统筹地区")
    password = PasswordField("初始密码", validators=[DataRequired("请设置初始密码"), Length(max=200)])


class PasswordResetForm(FlaskForm):
    password = PasswordField("新密码", validators=[DataRequired("请填写新密码"), Length(max=200)])


class GrantForm(FlaskForm):
    region = SelectField("统筹地区")


class TokenForm(FlaskForm):
    username = StringField("代表的用户", validators=[DataRequired("请填写用户名"), Length(max=60)])
    name = StringField("用途（如：结算平台接口）", validators=[DataRequired("请填写用途"), Length(max=100)])


class DisableForm(FlaskForm):
    confirm = confirm_field("停用该用户", "其令牌同时失效，不可撤销")


class ActionForm(FlaskForm):
    """A button with nothing to fill in: only its CSRF token."""


class OverrideForm(FlaskForm):
    parameter = StringField("参数", validators=[DataRequired("请填写参数"), Length(max=100)],
                            render_kw={"placeholder": "如 amount.minimum"})
    value = StringField("值（JSON）", validators=[DataRequired("请填写值"), Length(max=500)],
                        render_kw={"placeholder": '如 "50000"'})
    approval_ref = StringField("批准文号", validators=[DataRequired("调整参数须记录批准文号（14§）"), Length(max=200)])


NATIONAL = "national"  # the scope field's value for a national entry (RULES §9: shared by every region)


class DayForm(FlaskForm):
    scope = SelectField("适用范围", validate_choice=False, render_kw={"class": "wide"})  # the service checks the grant (403 with its reason)
    day = StringField("日期", validators=[DataRequired("请填写日期"), Length(max=10)],
                      render_kw={"placeholder": "YYYY-MM-DD"})
    workday = BooleanField("当天上班（调休工作日）；不勾选表示放假")
    note = StringField("依据", validators=[DataRequired("须说明依据"), Length(max=100)])


@bp.before_request
@login_required
def _signed_in() -> None:
    """Staff screens need the administrator; policy and calendar are readable by every member of staff."""
    if request.endpoint in STAFF_ONLY and current_user.identity.department != Department.ADMINISTRATOR:
        refuse("用户与令牌管理仅限管理员")




def _region_choices() -> list[SelectChoice]:
    return [SelectChoice(code, f"{name}（{code}）") for code, name in regions().items()]


def _users_page(status: int = 200, **bound):
    forms = {"user": UserForm(formdata=None), "token": TokenForm(formdata=None)}
    forms.update(bound)
    forms["user"].region.choices = _region_choices()
    new_token = session.pop("new_token", None)  # shown once, right after it was issued
    return render_template("admin/users.html", s=staffing(extensions.sessions(), _me()), forms=forms,
                           bound=bound, reset_form=PasswordResetForm, grant_form=GrantForm,
                           region_choices=_region_choices(), new_token=new_token), status


def _submit(action, form: FlaskForm, field: str, done: str, refused, succeeded):
    """Call a service: on success flash ``done`` and answer ``succeeded(result)``; a refusal answers
    ``refused()``, the form shown again with the message beside ``field`` (403 for who may not act)."""
    return submit_form(action, form, field, done, refused, succeeded)


def _to_users(_result=None):
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users():
    return _users_page()


@bp.post("/users")
def create_user():
    form = UserForm()
    form.region.choices = _region_choices()
    if not form.validate_on_submit():
        return _users_page(400, user=form)
    username = form.username.data.strip()
    return _submit(lambda: administration.create_user(
        extensions.sessions(), _me(), username, form.name.data.strip(), Department(form.department.data),
        form.password.data, (form.region.data,)), form, "username", f"已创建用户 {username}。",
        lambda: _users_page(400, user=form), _to_users)


@bp.post("/users/<username>/password")
def reset_password(username: str):
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _users_page(400, **{f"reset:{username}": form})
    return _submit(lambda: administration.reset_password(extensions.sessions(), _me(), username, form.password.data),
                   form, "password", f"已重设 {username} 的密码。",
                   lambda: _users_page(400, **{f"reset:{username}": form}), _to_users)


@bp.post("/users/<username>/grant")
def grant(username: str):
    form = GrantForm()
    form.region.choices = _region_choices()
    if not form.validate_on_submit():
        return _users_page(400, **{f"grant:{username}": form})
    return _submit(lambda: administration.grant(extensions.sessions(), _me(), username, form.region.data),
                   form, "region", f"已授予 {username} 统筹地区 {form.region.data}。",
                   lambda: _users_page(400, **{f"grant:{username}": form}), _to_users)


@bp.post("/users/<username>/disable")
def disable(username: str):
    form = DisableForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or not form.confirm.errors:
            abort(400)
        flash(f"未停用 {username}：{form.confirm.errors[0]}", "error")
        return _to_users()
    carry_out(lambda: administration.disable(extensions.sessions(), _me(), username))
    flash(f"已停用 {username}，其令牌同时失效。")
    return _to_users()


@bp.post("/tokens")
def issue_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _users_page(400, token=form)
    username = form.username.data.strip()
    def shown_once(token: str):
        session["new_token"] = token
        return _to_users()

    return _submit(lambda: administration.issue_token(extensions.sessions(), _me(), username, form.name.data),
                   form, "username", f"已为 {username} 签发令牌，请立即复制保存，离开本页后不再显示。",
                   lambda: _users_page(400, token=form), shown_once)


@bp.post("/tokens/<id:token_id>/revoke")
def revoke_token(token_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    carry_out(lambda: administration.revoke_token(extensions.sessions(), _me(), token_id))
    flash(f"令牌 {token_id} 已吊销。")
    return _to_users()


STAFF_ONLY = {"admin.users", "admin.create_user", "admin.reset_password", "admin.grant", "admin.disable",
              "admin.issue_token", "admin.revoke_token"}


# -- policy profiles and the year's overrides (14§) --------------------------------------------------

def _policy_page(region_code: str, year: int, status: int = 200, form: OverrideForm | None = None):
    if region_code not in regions():
        abort(404)
    view = profile_in_force(extensions.sessions(), region_code, year)
    return render_template("admin/policy.html", v=view, method=describe_method(view.profile),
                           region_name=regions()[region_code], form=form or OverrideForm(formdata=None)), status


@bp.get("/policy/<region_code>/<year:year>")
def policy(region_code: str, year: int):
    return _policy_page(region_code, year)


@bp.post("/policy/<region_code>/<year:year>")
def override(region_code: str, year: int):
    form = OverrideForm()
    if region_code not in regions():
        abort(404)
    if not form.validate_on_submit():
        return _policy_page(region_code, year, 400, form)
    try:
        value = read_json(form.value.data.encode("utf-8", "surrogatepass"))
    except InputError:
        form.value.errors.append("不是有效的 JSON 值（字符串须加双引号，如 \"50000\"）")
        return _policy_page(region_code, year, 400, form)
    parameter = form.parameter.data.strip()
    return _submit(lambda: record_override(extensions.sessions(), region_code, year, parameter, value,
                                           form.approval_ref.data.strip(), _me()),
                   form, "parameter", f"已记录 {year} 年度参数调整：{parameter}。",
                   lambda: _policy_page(region_code, year, 400, form),
                   lambda _: redirect(url_for("admin.policy", region_code=region_code, year=year)))


# -- the holiday calendar --------------------------------------------------------------------------

def _calendar_page(year: int, region_code: str, status: int = 200, form: DayForm | None = None):
    granted = regions()
    form = form or DayForm(formdata=None, scope=region_code)
    form.scope.choices = [SelectChoice(code, f"{name}（本地区调整）") for code, name in granted.items()] + [
        SelectChoice(NATIONAL, "全国统一安排（所有统筹地区）")]
    return render_template("admin/calendar.html", c=year_calendar(extensions.sessions(), year, region_code or None),
                           year=year, region_code=region_code, granted=granted,
                           years=range(clock.today().year - 1, clock.today().year + 2), form=form), status


def _calendar_region() -> str:
    """The region whose calendar is shown: the one asked for, if granted; else the first granted."""
    granted = regions()
    asked = request.args.get("region", "")
    return asked if asked in granted else next(iter(granted), "")


@bp.get("/calendar")
def calendar():
    return _calendar_page(int_arg("year", clock.today().year, YEAR_MAX), _calendar_region())


@bp.post("/calendar")
def set_calendar_day():
    form = DayForm()
    shown = form.scope.data if form.scope.data in regions() else _calendar_region()
    if not form.validate_on_submit():
        return _calendar_page(clock.today().year, shown, 400, form)
    day = parse_date(form.day.data.strip())
    if day is None:
        form.day.errors.append(f"日期格式须为 YYYY-MM-DD（{YEAR_MIN}—{YEAR_MAX} 年）")
        return _calendar_page(clock.today().year, shown, 400, form)
    owner = None if form.scope.data == NATIONAL else form.scope.data
    return _submit(lambda: set_day(extensions.sessions(), day, form.workday.data, form.note.data.strip(), _me(),
                                   owner),
                   form, "note", f"已记录 {day}：{'上班' if form.workday.data else '放假'}"
                                 f"（{'全国统一安排' if owner is None else regions().get(owner, owner)}）。",
                   lambda: _calendar_page(day.year, shown, 400, form),
                   lambda _: redirect(url_for("admin.calendar", year=day.year, region=shown)))

