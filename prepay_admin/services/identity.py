"""Who may act: staff accounts, passwords, region grants, bearer tokens, sign-in with a rate limit,
and the audit events that the transition log does not hold.

Passwords are hashed with werkzeug's scrypt (maintained, no extra dependency); a token is shown once
and only its SHA-256 is kept. The rate limit is counted in the database, so every web process and
the console share it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utcnow
from ..models import ApiToken, AuditEvent, Department, LoginAttempt, Staff, StaffRegion
from ..policy.departments import DEPARTMENT_CN
from .errors import NotFound, ServiceError
from .unit_of_work import find_region, find_staff

PASSWORD_MIN = 10
LOCKOUT_FAILURES = 5  # failed sign-ins of one username …
LOCKOUT_WINDOW = dt.timedelta(minutes=15)  # … within this window lock it for the rest of the window
ADDRESS_FAILURES = 30  # failed sign-ins from one address, across usernames, within the window …
KNOWN_ADDRESS = dt.timedelta(days=90)  # … unless the username signed in from that address this lately
TOKEN_PREFIX = "pa_"


@dataclass(frozen=True)
class Identity:
    """The member of staff a request acts as: plain data for the shells."""

    id: int
    username: str
    name: str
    department: Department
    regions: tuple[str, ...]
    generation: int = 0  # the account's session generation when this identity was read

    @property
    def department_cn(self) -> str:
        return DEPARTMENT_CN[self.department]


def identity_of(session: Session, person: Staff) -> Identity:
    regions = tuple(session.scalars(select(StaffRegion.region_code).where(StaffRegion.staff_id == person.id)
                                    .order_by(StaffRegion.region_code)))
    return Identity(person.id, person.username, person.name, person.department, regions,
                    person.session_generation or 0)


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN or len(password) > 200:
        raise ServiceError(f"密码须为 {PASSWORD_MIN}—200 个字符", "password")
    if password.isdigit() or password.isalpha():
        raise ServiceError("密码须同时含有字母和数字或符号", "password")


def _check_username(username: str) -> None:
    if not (1 <= len(username) <= 60 and username.isascii() and username.replace("_", "").replace(".", "").isalnum()):
        raise ServiceError("用户名须为 1—60 个 ASCII 字母、数字、点或下划线", "username")


def log_event(sessions: sessionmaker, actor: str, kind: str, detail: str) -> None:
    """Record an event in its own transaction (a refused action's own transaction is rolled back)."""
    with sessions.begin() as session:
        session.add(AuditEvent(actor=actor[:60], kind=kind, detail=detail[:500]))


# -- accounts (operators at the terminal, or 管理员 on screens) --------------------------------------

def create_user(sessions: sessionmaker, username: str, name: str, department: Department, password: str | None,
                regions: tuple[str, ...], by: str) -> Identity:
    """A new member of staff; ``by`` is the administrator's username or the operator's OS login."""
    with sessions.begin() as session:
        return create_user_in(session, username, name, department, password, regions, by)


def create_user_in(session: Session, username: str, name: str, department: Department, password: str | None,
                   regions: tuple[str, ...], by: str) -> Identity:
    """The same inside a caller's transaction (an administrator's step on screens)."""
    _check_username(username)
    if not name.strip() or len(name) > 60:
        raise ServiceError("姓名须为 1—60 个字符", "name")
    if password is not None:
        _check_password(password)
    if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise ServiceError(f"用户 {username} 已存在", "username")
    for code in regions:
        find_region(session, code)
    person = Staff(username=username, name=name.strip(), department=department, active=True,
                   password_hash=None if password is None else generate_password_hash(password),
                   password_changed_at=None if password is None else utcnow())
    session.add(person)
    session.flush()
    for code in regions:
        session.add(StaffRegion(staff_id=person.id, region_code=code, granted_by=by))
    session.add(AuditEvent(actor=by, kind="operator", detail=f"创建用户 {username}（{DEPARTMENT_CN[department]}）"))
    session.flush()
    return identity_of(session, person)


def set_password(sessions: sessionmaker, username: str, password: str, by: str) -> None:
    with sessions.begin() as session:
        set_password_in(session, username, password, by)


def set_password_in(session: Session, username: str, password: str, by: str) -> None:
    _check_password(password)
    person = find_staff(session, username)
    person.password_hash, person.password_changed_at = generate_password_hash(password), utcnow()
    person.session_generation = (person.session_generation or 0) + 1  # every other session ends (issue 28)
    session.add(AuditEvent(actor=by, kind="operator", detail=f"设置 {username} 的密码"))


def change_own_password(sessions: sessionmaker, username: str, old: str, new: str, remote: str) -> None:
    """A member of staff changes their own password, proving the old one: a wrong old password counts
    as a failed sign-in (issue 28: a stolen session could otherwise guess it without limit)."""
    if old == new:
        raise ServiceError("新密码不能与原密码相同", "new_password")
    _check_password(new)
    try:
        with sessions.begin() as session:
            wrong = _guarded_check(session, username, old, remote, "password_check") is None
            if not wrong:
                set_password_in(session, username, new, username)
    except _Locked as locked:
        log_event(sessions, username, "login_locked", f"修改密码，来自 {remote}")
        raise ServiceError(locked.message, "old_password") from None
    if wrong:
        raise ServiceError("原密码不正确", "old_password")


def disable_user(sessions: sessionmaker, username: str, by: str) -> None:
    with sessions.begin() as session:
        disable_user_in(session, username, by)


def disable_user_in(session: Session, username: str, by: str) -> None:
    """A disabled account cannot sign in, and its tokens stop working."""
    person = find_staff(session, username)
    person.active = False
    person.session_generation = (person.session_generation or 0) + 1
    for token in session.scalars(select(ApiToken).where(ApiToken.staff_id == person.id,
                                                        ApiToken.revoked_at.is_(None))):
        token.revoked_at = utcnow()
    session.add(AuditEvent(actor=by, kind="operator", detail=f"停用用户 {username}"))


def grant_region(sessions: sessionmaker, username: str, region_code: str, by: str) -> None:
    with sessions.begin() as session:
        grant_region_in(session, username, region_code, by)


def grant_region_in(session: Session, username: str, region_code: str, by: str) -> None:
    """The same inside a caller's transaction (the demo region grants its own staff)."""
    person = find_staff(session, username)
    find_region(session, region_code)
    if session.get(StaffRegion, (person.id, region_code)) is None:
        session.add(StaffRegion(staff_id=person.id, region_code=region_code, granted_by=by))
        session.add(AuditEvent(actor=by, kind="operator", detail=f"授予 {username} 统筹地区 {region_code}"))


# -- signing in --------------------------------------------------------------------------------------

def sign_in(sessions: sessionmaker, username: str, password: str, remote: str) -> Identity:
    """Check a password, under the rate limit; every attempt is recorded."""
    try:
        with sessions.begin() as session:
            person = _guarded_check(session, username, password, remote, "login")
            if person is not None:
                return identity_of(session, person)
    except _Locked:
        log_event(sessions, username, "login_locked", f"来自 {remote}")
        raise
    raise ServiceError("用户名或密码不正确", "password")


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash no password matches, checked for a name that has none, at the same cost as a real one."""
    return generate_password_hash(secrets.token_urlsafe(32))


class _Locked(ServiceError):
    """Too many failures: the refusal is recorded (in its own transaction), not the attempt."""


def _guarded_check(session: Session, username: str, password: str, remote: str, kind: str) -> Staff | None:
    """Issue 28 (finding 7): count the recent failures and check the password in one transaction, one
    attempt of a username at a time (30 concurrent guesses got 19 checks when the count and the attempt
    were two transactions), and count failures from the address across usernames too. A guess of the old
    password on the change-password screen counts like a failed sign-in. Returns the member of staff when
    the password is right; records the attempt either way."""
    name, remote = username[:60], remote[:64]
    if session.get_bind().dialect.name == "postgresql":  # SQLite: the write transaction is IMMEDIATE already
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext("login:" + name))))
    since = utcnow() - LOCKOUT_WINDOW
    failed = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since,
                                                                  LoginAttempt.ok.is_(False))
    minutes = LOCKOUT_WINDOW.seconds // 60
    if session.scalar(failed.where(LoginAttempt.username == name)) >= LOCKOUT_FAILURES:
        raise _Locked(f"登录失败次数过多，请 {minutes} 分钟后再试", "username")
    if session.scalar(failed.where(LoginAttempt.remote == remote)) >= ADDRESS_FAILURES and not session.scalar(
            select(LoginAttempt.id).where(LoginAttempt.username == name, LoginAttempt.remote == remote,
                                          LoginAttempt.ok.is_(True), LoginAttempt.at >= utcnow() - KNOWN_ADDRESS)
            .limit(1)):
        # a bureau's staff share one address behind its NAT: one guesser there must not lock them all out,
        # so a member of staff who signed in from this address lately may still try (their own limit holds)
        raise _Locked(f"来自该地址的登录失败次数过多，请 {minutes} 分钟后再试", "username")
    person = session.scalar(select(Staff).where(Staff.username == name))
    usable = person is not None and person.active and person.password_hash is not None
    # a password is checked whoever is named, so that the answer's time does not tell which names exist
    ok = check_password_hash(person.password_hash if usable else _decoy_hash(), password) and usable
    session.add(LoginAttempt(username=name, remote=remote, ok=ok))
    session.add(AuditEvent(actor=name, kind=kind if ok else f"{kind}_failed", detail=f"来自 {remote}"))
    return person if ok else None


def anyone_can_sign_in(sessions: sessionmaker) -> bool:
    """False on a fresh installation: the sign-in page then says how to create the first users."""
    with sessions() as session:
        return session.scalar(select(Staff.id).where(Staff.active.is_(True), Staff.password_hash.is_not(None))
                              .limit(1)) is not None


def identity_by_id(sessions: sessionmaker, staff_id: int, generation: int | None = None) -> Identity | None:
    """The signed-in member of staff, or None when the account is gone or disabled, or (``generation``:
    the one the session was opened under) when the account's sessions were ended since."""
    with sessions() as session:
        person = session.get(Staff, staff_id)
        if person is None or not person.active:
            return None
        if generation is not None and generation != (person.session_generation or 0):
            return None
        return identity_of(session, person)


def end_sessions(sessions: sessionmaker, username: str) -> None:
    """Signing out ends every session of the account (issue 28: a cookie copied before still worked)."""
    with sessions.begin() as session:
        person = session.scalar(select(Staff).where(Staff.username == username))
        if person is not None:
            person.session_generation = (person.session_generation or 0) + 1
            session.add(AuditEvent(actor=username, kind="logout", detail="退出登录，结束该账号的全部会话"))


# -- tokens ------------------------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(sessions: sessionmaker, username: str, name: str, by: str,
                lifetime: dt.timedelta | None = None) -> str:
    """A new bearer token acting as ``username``; returned once, stored only as its hash."""
    with sessions.begin() as session:
        return issue_token_in(session, username, name, by, lifetime)


def issue_token_in(session: Session, username: str, name: str, by: str,
                   lifetime: dt.timedelta | None = None) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    person = find_staff(session, username)
    if not person.active:
        raise ServiceError(f"用户 {username} 已停用", "username")
    session.add(ApiToken(staff_id=person.id, name=name[:100], token_hash=_digest(token),
                         expires_at=None if lifetime is None else utcnow() + lifetime))
    session.add(AuditEvent(actor=by, kind="token", detail=f"为 {username} 签发令牌“{name[:100]}”"))
    return token


def authenticate_token(sessions: sessionmaker, token: str) -> Identity:
    """The member of staff a token acts as; refused when unknown, revoked, expired or disabled."""
    with sessions() as session:
        row = session.execute(select(ApiToken, Staff).join(Staff, Staff.id == ApiToken.staff_id)
                              .where(ApiToken.token_hash == _digest(token.strip()))).first()
        if row is None:
            raise ServiceError("登录凭证无效，请重新登录（prepay-admin login）", "token")
        token_row, person = row
        if token_row.revoked_at is not None or not person.active:
            raise ServiceError("登录凭证已失效，请重新登录（prepay-admin login）", "token")
        if token_row.expires_at is not None and token_row.expires_at < utcnow():
            raise ServiceError("登录凭证已过期，请重新登录（prepay-admin login）", "token")
        return identity_of(session, person)


def revoke_token(sessions: sessionmaker, token: str, by: str) -> None:
    with sessions.begin() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token.strip())))
        if row is None:
            raise NotFound("没有这个登录凭证", "token")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(AuditEvent(actor=by, kind="token", detail=f"吊销令牌“{row.name}”"))
