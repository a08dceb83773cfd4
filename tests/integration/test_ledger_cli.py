"""``prepay-admin ledger …`` on the demo region's books."""
import datetime as dt
from decimal import Decimal as D

from openpyxl import load_workbook
from sqlalchemy import select

from accounting import guards
from accounting import templates as t
from accounting.ledger import get_book, post
from prepay_admin.models import Institution, SecurityPledge
from prepay_admin.policy.facts import Fund, SecurityKind
from prepay_admin.services.demo import load_demo
from tests.console import token_for


def demo_with_postings(app, monkeypatch):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=3, seed=1, year=2026, play=False)
    with sessions.begin() as s:
        book = get_book(s, "320600", Fund.EMPLOYEE).id
        institution = s.scalar(select(Institution.id).where(Institution.code == "H32060000001"))
        # 13§: the advance posted below is secured (ledger verify checks it)
        s.add(SecurityPledge(institution_id=institution, kind=SecurityKind.PLEDGE, value=D("2000000"),
                             registration_ref="抵押登记〔2026〕1号", valid_from=dt.date(2026, 1, 9),
                             valid_until=dt.date(2029, 1, 20)))
    post(sessions, book, t.advance_paid("H32060000001", D("1020000"), dt.date(2026, 1, 26), "pay:1"), "pay:1", "财务甲")
    post(sessions, book, t.recovered_by_offset("H32060000001", D("20000"), dt.date(2026, 2, 20), "off:1"), "off:1", "财务甲")
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "caiwu1"))  # 24§(一): the finance department
    return book


def test_the_trial_balance_prints_balanced_totals_and_exports_xlsx(app, cli_runner, tmp_path, monkeypatch):
    demo_with_postings(app, monkeypatch)
    out = tmp_path / "tb.xlsx"
    result = cli_runner.invoke(args=["ledger", "trial-balance", "--region", "320600", "--from", "2026-01",
                                     "--to", "2026-12", "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    assert "暂付款—医保预付金" in result.output and "借 1,000,000.00" in result.output
    assert "借贷平衡。" in result.output
    assert load_workbook(out).active["A1"].value == "科目余额表"


def test_the_statement_of_an_institution(app, cli_runner, monkeypatch):
    demo_with_postings(app, monkeypatch)
    result = cli_runner.invoke(args=["ledger", "statement", "--region", "320600", "--institution", "H32060000001",
                                     "--from", "2026-01", "--to", "2026-12"])
    assert result.exit_code == 0, result.output
    assert "记-2026-0001" in result.output and "记-2026-0002" in result.output
    assert "借 1,000,000.00" in result.output.splitlines()[-1]


def test_closing_a_period_then_reopening_it(app, cli_runner, monkeypatch):
    demo_with_postings(app, monkeypatch)
    ok = cli_runner.invoke(args=["ledger", "close-period", "--region", "320600", "--period", "2026-01"])
    assert ok.exit_code == 0 and "已结账至 2026-01" in ok.output
    again = cli_runner.invoke(args=["ledger", "close-period", "--region", "320600", "--period", "2026-01"])
    assert again.exit_code == 2 and again.output.startswith("--period: 2026-01 已结账")
    bad = cli_runner.invoke(args=["ledger", "close-period", "--region", "320600", "--period", "2026-1"])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
    reopened = cli_runner.invoke(args=["ledger", "reopen-period", "--region", "320600", "--reason", "补记"])
    assert reopened.exit_code == 0 and "2026-01" in reopened.output


def test_verify_passes_then_fails_on_a_planted_breach(app, cli_runner, monkeypatch):
    load_demo(app.extensions["prepay_sessions"], institutions=4, seed=1, year=2026, play=True)
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "caiwu1"))
    passed = cli_runner.invoke(args=["ledger", "verify"])
    assert passed.exit_code == 0, passed.output
    with app.extensions["prepay_engine"].begin() as conn:
        guards.remove(conn)
        conn.exec_driver_sql("DELETE FROM ledger_line WHERE line_no = 2")
    result = cli_runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "[entry_too_few_lines]" in result.output and "[guard_missing]" in result.output


def test_21_verify_recomputes_the_chain_in_as_many_processes_as_asked(app, cli_runner, monkeypatch):
    from accounting import chain_verify

    load_demo(app.extensions["prepay_sessions"], institutions=4, seed=1, year=2026, play=True)
    monkeypatch.setattr(chain_verify, "PARALLEL_FROM", 0)  # the demo's short chains, cut into spans all the same
    passed = cli_runner.invoke(args=["ledger", "verify", "--jobs", "3"])
    assert passed.exit_code == 0, passed.output
    for bad in ("0", "３", "many"):
        refused = cli_runner.invoke(args=["ledger", "verify", "--jobs", bad])
        assert refused.exit_code == 2 and "--jobs" in refused.output and "1—256" in refused.output, refused.output
    monkeypatch.setattr(chain_verify, "WORKER", ("-c", "import sys; sys.exit('无法连接数据库')"))
    failed = cli_runner.invoke(args=["ledger", "verify", "--jobs", "2"])
    assert failed.exit_code == 2 and "Traceback" not in failed.output
    assert "--jobs: 哈希链校验进程异常退出（1）：无法连接数据库；本次校验未完成" in failed.output, failed.output


def test_7_verify_names_each_voucher_no_business_record_explains(app, cli_runner, monkeypatch):
    demo_with_postings(app, monkeypatch)  # two vouchers posted straight to the ledger, no instruction, no settlement
    result = cli_runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "[sub_ledger_unreconciled]" in result.output
    assert "H32060000001 的暂付款—医保预付金子账比业务记录多 1,000,000.00 元" in result.output
    assert "记-2026-0001（无业务记录） +1,020,000.00" in result.output
    assert "记-2026-0002（无业务记录） −20,000.00" in result.output


def test_an_unknown_region_names_the_option_and_does_not_say_whether_it_exists(app, cli_runner, monkeypatch):
    demo_with_postings(app, monkeypatch)
    result = cli_runner.invoke(args=["ledger", "trial-balance", "--region", "999999"])
    assert result.exit_code == 2 and result.output.startswith("--region: 无权查看统筹地区 999999 的数据")


def test_the_general_ledger_detail_of_an_account(app, cli_runner, tmp_path, monkeypatch):
    demo_with_postings(app, monkeypatch)
    out = tmp_path / "gl.xlsx"
    result = cli_runner.invoke(args=["ledger", "detail", "--region", "320600", "--account", "expenditure_deposit",
                                     "--from", "2026-01", "--to", "2026-12", "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    assert "1004 支出户存款" in result.output and "贷 1,020,000.00" in result.output
    assert load_workbook(out).active["A1"].value == "明细账"


def test_21_the_chain_anchors_are_printed_for_the_auditor_and_an_edit_is_named(app, cli_runner, monkeypatch):
    demo_with_postings(app, monkeypatch)
    printed = cli_runner.invoke(args=["ledger", "anchors"])
    assert printed.exit_code == 0 and "链头" in printed.output and "2026-01" in printed.output
    with app.extensions["prepay_engine"].begin() as conn:
        guards.remove(conn)
        conn.exec_driver_sql("UPDATE ledger_entry SET summary = summary || '（改）' WHERE id = 1")
        guards.install(conn)
    result = cli_runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1 and "[chain_broken]" in result.output and "记-2026-0001" in result.output


def test_a_command_on_a_database_without_its_schema_says_to_run_db_upgrade(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from prepay_admin.console import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(cli, ["ledger", "verify"])
    assert result.exit_code == 2
    assert "prepay-admin db upgrade" in result.output and "Traceback" not in result.output
