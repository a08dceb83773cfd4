"""Bad input gets a clear error naming the field, exit status 2, and no traceback nor partial write."""
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from prepay_admin.console import cli
from prepay_admin.models import PolicyOverride
from prepay_admin.services.demo import load_demo
from tests.console import as_user

WHATIF = (Path(__file__).resolve().parents[1] / "data" / "whatif.json").read_text(encoding="utf-8")


def _replace(old: str, new: str) -> bytes:
    assert old in WHATIF
    return WHATIF.replace(old, new, 1).encode("utf-8")


def _json(change) -> bytes:
    data = json.loads(WHATIF)
    change(data)
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


HOSTILE_WHATIFS = {
    "an amount of 27 digits": (_json(lambda d: d["funds"][0].update(cumulative_surplus="1" * 27)),
                               "/funds/0/cumulative_surplus"),
    "an amount above 10^13 yuan": (_json(lambda d: d["funds"][0].update(monthly_expenditure="10000000000000.01")),
                                   "/funds/0/monthly_expenditure"),
    "an integer of thousands of digits": (_replace('"year": 2026', '"year": ' + "9" * 5000), "整数"),
    "a 0000-01 month": (_replace('"month": "2025-01"', '"month": "0000-01"'), "/month"),
    "invalid UTF-8": (WHATIF.encode("utf-8") + b"\xff", "UTF-8"),
    "UTF-16": (b"\xff\xfe" + WHATIF.encode("utf-16-le"), "UTF-8"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "嵌套"),
    "a lone surrogate": (_replace('"南通市"', '"\\ud800"'), "/region/name"),
    "full-width digits as money": (_json(lambda d: d["funds"][0].update(cumulative_surplus="１２３")),
                                   "/funds/0/cumulative_surplus"),
    "Arabic-Indic digits as money": (_json(lambda d: d["funds"][0].update(cumulative_surplus="١٢٣")),
                                     "/funds/0/cumulative_surplus"),
    "full-width digits as a date": (_json(lambda d: d["institutions"][0].update(settled_since="２０１５-０１-０１")),
                                    "/institutions/0/settled_since"),
    "a duplicate key": (_replace('"year": 2026', '"year": 2026, "year": 2027'), "重复"),
    "a year out of range": (_json(lambda d: d.update(year=99999)), "/year"),
}


@pytest.mark.parametrize("name", list(HOSTILE_WHATIFS))
def test_compute_answers_hostile_input_with_exit_2_naming_the_field(name, tmp_path):
    raw, expected = HOSTILE_WHATIFS[name]
    path = tmp_path / "input.json"
    path.write_bytes(raw)
    result = CliRunner().invoke(cli, ["compute", "--input", str(path)])
    assert result.exit_code == 2, (name, result.output, result.exception)
    assert expected in result.output and "Traceback" not in result.output
    assert result.stdout == "" or not result.stdout.lstrip().startswith("{")  # never half a JSON answer


def run(cli_runner, *args, user="caiwu1"):
    return cli_runner.invoke(args=list(args), env=as_user(cli_runner.app, user))


@pytest.fixture
def region(app):
    load_demo(app.extensions["prepay_sessions"], institutions=12, seed=2026, year=2026)
    return app


CLI_PROBES = [
    (["cycle", "confirm", "--instruction", "9" * 20, "--bank-ref", "x"], "--instruction: "),
    (["cycle", "confirm", "--instruction", "2147483647", "--bank-ref", "x"], "--instruction: 没有拨付指令"),
    (["cycle", "show-batch", "--batch", "99999999999"], "--batch: "),
    (["ledger", "trial-balance", "--region", "320600", "--xlsx", "/nonexistent/folder/tb.xlsx"], "--xlsx: "),
    (["ledger", "statement", "--region", "320600", "--institution", "H9999"], "--institution: "),
    (["ledger", "trial-balance", "--region", "320600", "--from", "garbage"], "--from: "),
    (["ledger", "trial-balance", "--region", "320600", "--from", "2026-05", "--to", "2026-01"], "--from: "),
    (["ledger", "close-period", "--region", "320600", "--period", "0000-01"], "--period: "),
    (["policy", "override", "--region", "320600", "--year", "99999", "--set", 'amount.minimum="1"',
      "--approval", "x"], "--year: "),
    (["policy", "override", "--region", "320600", "--year", "２０２６", "--set", 'amount.minimum="1"',
      "--approval", "x"], "--year: "),
    (["policy", "override", "--region", "320600", "--year", "2026", "--set", 'amount.minimum={"a":1,"a":2}',
      "--approval", "x"], "--set: "),
    (["demo", "load", "--region-code", ""], "--region-code: "),
    (["cycle", "register-security", "--region", "320600", "--year", "2026", "--institution", "H32060000001",
      "--kind", "pledge", "--value", "１０００", "--ref", "x"], "--value: "),
    (["cycle", "register-security", "--region", "320600", "--year", "2026", "--institution", "H32060000001",
      "--kind", "pledge", "--value", "1" * 30, "--ref", "x"], "--value: "),
    (["cycle", "sign", "--region", "320600", "--year", "2026", "--institution", "H32060000001",
      "--date", "٢٠٢٦-٠١-٠٨"], "--date: "),
    (["cycle", "sign", "--region", "320600", "--year", "2026", "--institution", "H32060000001",
      "--date", "0000-01-08"], "--date: "),
    (["cycle", "reject", "--batch", "1", "--reason", "x" * 5000], "--reason: "),
    (["calendar", "set-day", "2026-10-10", "--holiday", "--note", "\udcff"], "--note: "),
    # the return path
    (["settlement", "run", "--region", "320600", "--month", "２０２６-03", "--fund", "employee"], "--month: "),
    (["settlement", "run", "--region", "320600", "--month", "2026-03", "--fund", "employee"], "--month: "),  # no file
    (["settlement", "run", "--region", "320600", "--month", "2026-03", "--fund", "employee", "--date",
      "2026-03-15"], "--date: "),
    (["settlement", "payments", "--run", "99999", "--out", "/tmp/x.xlsx"], "--run: "),
    (["recovery", "demand", "--receivable", "0"], "--receivable: "),
    (["recovery", "refund", "--receivable", "1", "--amount", "1.005", "--bank-ref", "B"], "--amount: "),
    (["recovery", "refund", "--receivable", "99999", "--amount", "1.00", "--bank-ref", "B"], "--receivable: "),
    (["recovery", "write-off", "--receivable", "1", "--court-document", "（2026）执1号", "--approval", " "],
     "--approval: "),
    (["recovery", "year-end", "--region", "320600", "--year", "2026"], "--year: "),  # 2027's list is not fixed
    (["presettlement", "pay", "--id", "99999", "--bank-ref", "B"], "--id: 没有月度预结金"),
    (["region", "set-account", "--code", "320600", "--fund", "employee", "--account-name", "户名", "--bank-name",
      "工行", "--account-no", "12AB"], "--account-no: "),
    (["docs", "demand", "--region", "320600", "--receivable", "99999"], "--receivable: "),
    (["db", "grant-app-role", "no_such_role_here"], "ROLE: "),
    (["db", "grant-app-role", "Robert'); DROP TABLE region;--"], "ROLE: "),
    (["presettlement", "sign", "--id", "1", "--hash", "x"], "--id: "),
    # counts: ASCII digits within their bounds, said in Chinese
    (["simulate", "--institutions", "３"], "--institutions: “３”不是整数"),
    (["simulate", "--years", "21"], "--years: 须在 1—20 之间"),
    (["demo", "load", "--institutions", "0"], "--institutions: 须在 1—1000000 之间"),
    (["docs", "public-list", "--region", "320600", "--year", "2026", "--days", "9" * 40, "--out", "/tmp/p.docx"],
     "--days: "),
]


@pytest.mark.parametrize("args, expected", CLI_PROBES, ids=[" ".join(a)[:60] for a, _ in CLI_PROBES])
def test_every_command_answers_hostile_input_with_exit_2_and_a_named_field(region, cli_runner, args, expected):
    result = run(cli_runner, *args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert expected in result.output and "Traceback" not in result.output


def test_a_refused_override_writes_nothing(region, cli_runner):
    before = run(cli_runner, "policy", "override", "--region", "320600", "--year", "2026",
                 "--set", 'amount.minimum="-1"', "--approval", "苏医保〔2026〕1号")
    assert before.exit_code == 2 and before.output.startswith("--set: amount.minimum：")
    with region.extensions["prepay_sessions"]() as s:
        assert s.scalar(select(func.count()).select_from(PolicyOverride)) == 0


def test_a_write_that_waits_past_its_lock_timeout_says_the_database_is_busy(sessions, engine, monkeypatch):
    import prepay_admin.db as db
    from prepay_admin.services import calendar as cal
    from prepay_admin.services.demo_cycle import ensure_demo_staff
    from prepay_admin.services.errors import Busy

    ensure_demo_staff(sessions)
    monkeypatch.setattr(db, "PG_LOCK_TIMEOUT_MS", 200)
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    impatient = db.make_session_factory(db.make_engine(str(engine.url.render_as_string(hide_password=False))))
    holder = engine.connect()
    try:
        if engine.dialect.name == "sqlite":  # another writer holds SQLite's write lock
            holder = holder.execution_options(sqlite_begin="immediate")
            holder.exec_driver_sql("SELECT 1")
        else:  # another transaction holds the table
            holder.exec_driver_sql("LOCK TABLE calendar_day IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(Busy) as err:
            cal.set_day(impatient, dt.date(2026, 10, 10), False, "临时休息", "jiesuan1", None)
        assert err.value.message == "数据库繁忙，请稍后重试"
    finally:
        holder.rollback()
        holder.close()
