"""The production shape: gunicorn with several workers serves the app; sessions work across workers."""
import os
import re
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlencode

from prepay_admin.services.demo import load_demo
from tests.ledger_helpers import vouchers
from tests.signing_helpers import batch_signers

ROOT = Path(__file__).resolve().parents[2]


class _OverPlainHttp(DefaultCookiePolicy):
    """Production cookies are HTTPS-only; the test speaks HTTP to loopback, behind no proxy."""

    def return_ok_secure(self, cookie, request):
        return True


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_workers_serve_signed_in_screens_in_production_mode(sessions, database_url):
    load_demo(sessions, institutions=3, seed=1, year=2026, play=False)
    port = _free_port()
    env = {**os.environ, "PREPAY_ENV": "production", "SECRET_KEY": "k" * 40, "PREPAY_PSEUDONYM_KEY": "p" * 40, "DATABASE_URL": database_url}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--workers", "3", "--bind",
                               f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        jar = CookieJar(policy=_OverPlainHttp())
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        for _ in range(100):
            try:
                page = opener.open(f"{base}/login", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        body = urlencode({"csrf_token": token, "username": "jiesuan1", "password": "jiesuan1-demo"}).encode()
        opener.open(f"{base}/login", data=body, timeout=5)
        for _ in range(6):  # whichever worker answers, the signed cookie is enough
            home = opener.open(f"{base}/", timeout=5)
            assert "张敏（基金结算部门）" in home.read().decode()
        assert home.headers["Server"] == "prepay-admin"  # no version banner
    finally:
        server.terminate()
        server.wait(timeout=10)


def _serve(database_url: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PREPAY_ENV": "production", "SECRET_KEY": "k" * 40, "PREPAY_PSEUDONYM_KEY": "p" * 40, "DATABASE_URL": database_url}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--bind",
                               f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2).read()
            return server, base
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise AssertionError("gunicorn did not start")


def test_13_two_hosts_on_one_database_pay_a_confirmation_sent_to_both_at_once_once(app, database_url):
    """Two servers of two workers each (two hosts behind a load balancer) on one database: the same
    confirmation, sent to both at once under one Idempotency-Key and again under another, posts once."""
    import datetime as dt
    import json
    from concurrent.futures import ThreadPoolExecutor

    from prepay_admin.services import batch, payment
    from tests.console import token_for
    from tests.cycle_helpers import REGION, YEAR, listed_through_fixing, secure_and_sign

    sessions = app.extensions["prepay_sessions"]
    rows = listed_through_fixing(sessions, institutions=6)
    secure_and_sign(sessions, rows[:1])
    batch_id = batch.prepare(sessions, REGION, YEAR, "jiesuan1")
    seen = batch.current_hash(sessions, batch_id)
    for user in batch_signers(sessions, batch_id):
        batch.sign_off(sessions, batch_id, user, "同意", seen)
    first = payment.issue(sessions, batch_id, "caiwu1", dt.date(YEAR, 1, 23))[0]
    token = token_for(app, "caiwu1")
    hosts = [_serve(database_url, 2) for _ in range(2)]
    body = json.dumps({"bank_ref": "BK-2HOSTS", "paid_on": "2026-01-26", "paid_from": "expenditure"}).encode()

    def confirm(args) -> tuple[int, dict]:
        base, key = args
        request = urllib.request.Request(
            f"{base}/api/v1/payment-instructions/{first}/confirmation", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())

    try:
        calls = [(base, key) for _, base in hosts for key in ("two-hosts-1", "two-hosts-1", "two-hosts-2")]
        with ThreadPoolExecutor(len(calls)) as pool:
            answers = list(pool.map(confirm, calls))
    finally:
        for server, _ in hosts:
            server.terminate()
            server.wait(timeout=10)
    assert {status for status, _ in answers} == {200}
    assert len({a["ledger_entry_id"] for _, a in answers}) == 1
    with sessions() as s:
        assert vouchers(s, "payment-instruction:") == 2  # the payment and the transfer that funds it
