"""Configuration from the environment, with defaults that work on a fresh machine.

In production (``PREPAY_ENV=production``) nothing secret has a default: the app refuses to
start without ``SECRET_KEY``, its cookies are sent over HTTPS only, and HTTPS answers carry HSTS.
Behind reverse proxies, ``PREPAY_TRUSTED_PROXIES`` says how many to believe.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE = PROJECT_ROOT / "instance"
DEFAULT_SQLITE = INSTANCE / "prepay-admin.sqlite3"
IDLE_TIMEOUT = dt.timedelta(minutes=30)  # a signed-in screen session ends after this long unused


class ConfigError(RuntimeError):
    pass


def database_url() -> str:
    """``DATABASE_URL`` (any SQLAlchemy URL), else a SQLite file under ``instance/``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    INSTANCE.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


def production() -> bool:
    return os.environ.get("PREPAY_ENV", "").lower() == "production"


def secret_key() -> str:
    """``SECRET_KEY`` from the environment; outside production, a random key kept in ``instance/``."""
    key = os.environ.get("SECRET_KEY")
    if key:
        if production() and len(key) < 32:
            raise ConfigError("SECRET_KEY 须至少 32 个字符")
        return key
    if production():
        raise ConfigError("生产环境（PREPAY_ENV=production）必须通过环境变量 SECRET_KEY 设置密钥")
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


@functools.lru_cache(maxsize=None)
def pseudonym_key() -> bytes:
    """The key the patients' settlement and visit ids are pseudonymised under (DEPOSIT.md: never the ids):
    ``PREPAY_PSEUDONYM_KEY`` from the environment, kept outside the database (at least 32 characters; changing
    it makes the same settlement a new one); outside production, a random key kept in ``instance/``."""
    key = os.environ.get("PREPAY_PSEUDONYM_KEY")
    if key:
        if production() and len(key) < 32:
            raise ConfigError("PREPAY_PSEUDONYM_KEY 须至少 32 个字符")
        return key.encode()
    if production():
        raise ConfigError("生产环境（PREPAY_ENV=production）必须通过环境变量 PREPAY_PSEUDONYM_KEY 设置住院结算编号的摘要密钥")
    path = INSTANCE / "pseudonym_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            return path.read_text().strip().encode()
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def trusted_proxies() -> int:
    """``PREPAY_TRUSTED_PROXIES``: how many reverse proxies stand in front of the app (default 0). Only
    then are the client's address and scheme read from their ``X-Forwarded-For`` / ``-Proto`` headers:
    the sign-in limit per address counts the real client, not the proxy, and a header a client forged
    itself is never believed."""
    from .validation import parse_count

    raw = os.environ.get("PREPAY_TRUSTED_PROXIES", "0").strip() or "0"
    count = parse_count(raw, 0, 5)
    if count is None:
        raise ConfigError(f"PREPAY_TRUSTED_PROXIES 须为 0—5 的整数（前置反向代理的层数），现为“{raw}”")
    return count


UPLOAD_BYTES_MAX = 64 * 1024 * 1024  # a month's settlement of 100,000 institutions is about 12 MiB as .xlsx


def web_settings() -> dict:
    """Flask settings of the screens: secure cookies and the idle timeout (and, in production, the pseudonym
    key checked at start, as the secret key is)."""
    if production():
        pseudonym_key()
    return {
        "SECRET_KEY": secret_key(),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production(),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production(),
        "PERMANENT_SESSION_LIFETIME": IDLE_TIMEOUT,
        "SESSION_REFRESH_EACH_REQUEST": True,  # so the lifetime is an idle timeout
        "WTF_CSRF_TIME_LIMIT": None,  # the session's own lifetime bounds the token
        "MAX_CONTENT_LENGTH": UPLOAD_BYTES_MAX,  # an upload past it is a 413, never read into memory
    }
