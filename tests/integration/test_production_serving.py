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
    env = {**os.environ, "PREPAY_ENV": "production", "SECRET_KEY": "k" * 40, "DATABASE_URL": database_url}
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
