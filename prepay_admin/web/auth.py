"""Signing in and out of the screens, and changing one's own password.

flask-login keeps the signed-in member of staff in the session cookie; flask-wtf guards every form
with a CSRF token. The password check and its rate limit are the identity service's, shared with
the console.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import extensions
from ..services import identity
from ..services.errors import ServiceError
from ..services.identity import Identity

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.session_protection = "strong"


class WebUser(UserMixin):
    """The signed-in member of staff, as plain data (never an ORM object in a request)."""

    def __init__(self, who: Identity) -> None:
        self.identity = who

    def get_id(self) -> str:
        """The account and its session generation (issue 28): a session ends when the account's does."""
        return f"{self.identity.id}.{self.identity.generation}"


@login_manager.user_loader
def _load(user_id: str) -> WebUser | None:
    account, _, generation = user_id.partition(".")
    if not (account + generation).isascii() or not account.isdigit() or not generation.isdigit():
        return None
    who = identity.identity_by_id(extensions.sessions(), int(account), int(generation))
    return None if who is None else WebUser(who)


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=60, message="用户名过长")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200, message="密码过长")])


class PasswordForm(FlaskForm):
    old_password = PasswordField("原密码", validators=[DataRequired("请输入原密码")])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码")])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            who = identity.sign_in(extensions.sessions(), form.username.data, form.password.data,
                                   request.remote_addr or "?")
        except ServiceError as err:
            getattr(form, err.field if err.field in ("username", "password") else "password").errors.append(err.message)
        else:
            session.clear()  # a fresh session on sign-in: no fixation
            session.permanent = True
            login_user(WebUser(who))
            return redirect(_safe_next(request.args.get("next")))
    first_run = not identity.anyone_can_sign_in(extensions.sessions())
    return render_template("login.html", form=form, first_run=first_run), 400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    """A POST with the CSRF token (checked for every POST by CSRFProtect), never a GET a link could trigger.
    Every session of the account ends with it: a cookie copied before no longer signs anyone in."""
    identity.end_sessions(extensions.sessions(), current_user.identity.username)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    done = False
    if form.validate_on_submit():
        try:
            identity.change_own_password(extensions.sessions(), current_user.identity.username,
                                         form.old_password.data, form.new_password.data, request.remote_addr or "?")
            done = True  # every other session of the account ended; this one goes on, under the new generation
            login_user(WebUser(identity.identity_by_id(extensions.sessions(), current_user.identity.id)))
        except ServiceError as err:
            field = "old_password" if err.field == "old_password" else "new_password"
            getattr(form, field).errors.append(err.message)
    return render_template("password.html", form=form, done=done), 400 if form.errors else 200


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never //host or a scheme): no open redirect after sign-in. Browsers drop
    tabs and line breaks from a URL (issue 28: ``/\t/evil.example`` became ``//evil.example``), so a
    target with any control character, space or backslash is no path of ours either."""
    if (not target or "\\" in target or any(ord(c) < 0x21 or c == "\x7f" for c in target)
            or not target.startswith("/") or target.startswith("//")):
        return url_for("web.index")
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else url_for("web.index")
