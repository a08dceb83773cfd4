"""Browser tests: the app served on a free loopback port, driven by Playwright in Debian's Chromium.

No browser is downloaded: ``CHROMIUM`` (default ``/usr/bin/chromium``) is
launched with the flags this sandbox needs. Without it, the tests are skipped
on a developer's machine and fail under ``CI=true`` (``.ci/run`` installs it).
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from prepay_admin.app import create_app
from prepay_admin.migrate import upgrade
from prepay_admin.services.demo import load_demo
from tests.cycle_helpers import batch_awaiting_sign_off

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# screenshots are kept for people to look at (CI keeps the folder as an artefact)
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
ARTIFACTS.mkdir(parents=True, exist_ok=True)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}"
        if IN_CI:
            pytest.fail(message + " (CI=true: browser tests must run)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def live_url(tmp_path_factory):
    """The demo region, played through its year, served as staff would open it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.sqlite3'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url})
    load_demo(app.extensions["prepay_sessions"], institutions=80, seed=2026, year=2026, discharges=True)
    # a second region whose January stops at a prepared batch, for the sign-off walk
    batch_awaiting_sign_off(app.extensions["prepay_sessions"], SIGNING_REGION, "南通市（签字演示）")
    load_demo(app.extensions["prepay_sessions"], institutions=6, seed=2026, year=2026, region_code=JANUARY_REGION,
              region_name="南通市（一月演示）", play=False)
    # nothing done yet either: the year walked through the to-do list alone starts here
    load_demo(app.extensions["prepay_sessions"], institutions=10, seed=2026, year=2026, region_code=TODO_REGION,
              region_name="南通市（待办演示）", play=False)
    # two played years: settlements, triggers, the year end, a lawsuit and its write-off
    load_demo(app.extensions["prepay_sessions"], institutions=40, seed=2026, year=2026, region_code=RETURN_REGION,
              region_name="南通市（两年演示）", years=2)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["prepay_engine"].dispose()


SIGNING_REGION = "320699"
JANUARY_REGION = "320698"  # nothing done yet: the January walk starts here
RETURN_REGION = "320697"  # the money going out and coming back over two years
TODO_REGION = "320696"  # a year walked through the to-do list alone


@pytest.fixture
def anonymous_page(browser):
    """A browser tab on a 1366×768 office screen, signed in as nobody."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    p = context.new_page()
    yield p
    context.close()


def sign_in(page, live_url: str, username: str, password: str | None = None) -> None:
    """Sign in through the form, by keyboard, as staff do."""
    page.goto(f"{live_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password or f"{username}-demo")
    page.get_by_label("密码").press("Enter")


@pytest.fixture
def page(anonymous_page, live_url):
    """A tab signed in as the fund-settlement clerk of the demo region."""
    sign_in(anonymous_page, live_url, "jiesuan1")
    anonymous_page.wait_for_url(f"{live_url}/")
    return anonymous_page
