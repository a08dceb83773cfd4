"""``prepay-admin cycle …``: each step from the terminal, with Chinese summaries and named errors."""
import datetime as dt
import json
import re

from sqlalchemy import select

from prepay_admin.models import PaymentInstruction
from prepay_admin.services import applications, determination
from prepay_admin.services.demo import load_demo
from prepay_admin.services.demo_cycle import ensure_demo_staff
from tests.console import as_user
from tests.signing_helpers import batch_signers


def run(cli_runner, user, *args):
    return cli_runner.invoke(args=["cycle", *args], env=as_user(cli_runner.app, user))


def test_the_cycle_from_the_terminal(app, cli_runner, tmp_path):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=25, seed=2026, year=2026, play=False)
    ensure_demo_staff(sessions)
    r = ["--region", "320600", "--year", "2026"]
    opened = run(cli_runner, "caiwu1", "open", *r)
    assert opened.exit_code == 0 and "职工医保统筹基金：15.60 个月，可以预付" in opened.output

    form = json.loads(cli_runner.invoke(args=["cycle", "form"]).output)
    assert form["asset_seizure"] == "<有无财产被保全的情形>"
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({k: False for k in form} | {
        "settled_over_one_year": True, "last_assessment": "good", "operating_normally": True,
        "finance_system_sound": True, "cooperates_with_reforms": True, "traceability_codes_uploaded": True,
        "cooperates_with_supervision": True, "commitment": True, "signed_by": "院长"}, ensure_ascii=False))
    for code in ("H32060000001", "H32060000002", "H32060000003"):
        ok = run(cli_runner, "jiesuan1", "apply", *r, "--institution", code, "--answers", str(answers), "--date", "2025-12-30")
        assert ok.exit_code == 0, ok.output
    late = run(cli_runner, "jiesuan1", "apply", *r, "--institution", "H32060000004", "--answers", str(answers),
               "--date", "2026-01-02")
    assert late.exit_code == 2 and late.output.startswith("--date: 申请已于 2025-12-31 截止")

    determined = run(cli_runner, "jiesuan1", "determine", *r)
    assert "第 1 次测算：3 家机构" in determined.output
    fixed = run(cli_runner, "jiesuan1", "fix-list", *r, "--date", "2026-01-05")
    assert "7 个工作日内、2026-01-14 前完成" in fixed.output

    # a security capping the advance below the minimum is recorded and said so, never a traceback (review item 8)
    small = run(cli_runner, "jiesuan2", "register-security", *r, "--institution", "H32060000003", "--kind", "pledge",
                "--value", "95000", "--ref", "通抵押〔2026〕3号", "--date", "2026-01-08")
    assert small.exit_code == 0 and "职工医保统筹基金 0.00 元" in small.output, small.output
    secured = run(cli_runner, "jiesuan2", "register-security", *r, "--institution", "H32060000001", "--kind", "pledge",
                  "--value", "5000000.00", "--ref", "通抵押〔2026〕1号", "--date", "2026-01-08")
    assert secured.exit_code == 0, secured.output
    assert run(cli_runner, "jiesuan2", "sign", *r, "--institution", "H32060000001", "--date", "2026-01-08").exit_code == 0
    bad = run(cli_runner, "jiesuan2", "register-security", *r, "--institution", "H32060000002", "--kind", "pledge",
              "--value", "1e6", "--ref", "x", "--date", "2026-01-08")
    assert bad.exit_code == 2 and bad.output.startswith("--value: ")

    prepared = run(cli_runner, "jiesuan1", "prepare", *r)
    assert prepared.exit_code == 0, prepared.output
    seen = re.search(r"批次摘要 ([0-9a-f]{64})", prepared.output).group(1)
    submitted = run(cli_runner, "jiesuan1", "submit", "--batch", "1", "--hash", seen)
    assert submitted.exit_code == 0 and "批次 1 已提交" in submitted.output
    assert run(cli_runner, "jiesuan1", "approve", "--batch", "1", "--hash", seen).output.startswith("张敏（基金结算部门）无权执行此操作")
    # 24§(五): a signer names the batch they saw; another hash is refused
    wrong = run(cli_runner, "caiwu1", "approve", "--batch", "1", "--hash", "0" * 64)
    assert wrong.exit_code == 2 and wrong.output.startswith("--hash: ")
    assert run(cli_runner, "caiwu1", "approve", "--batch", "1").exit_code == 2  # no hash, no signature
    for user in batch_signers(sessions, 1)[1:]:  # RULES §4: the profile's levels, 财务 审核申报 next
        assert run(cli_runner, user, "approve", "--batch", "1", "--hash", seen).exit_code == 0
    paid = run(cli_runner, "caiwu1", "pay", "--batch", "1", "--date", "2026-01-23")
    assert paid.exit_code == 0 and "已生成拨付指令" in paid.output
    with sessions() as s:
        ids = s.scalars(select(PaymentInstruction.id)).all()
    for i in ids:
        assert run(cli_runner, "caiwu1", "confirm", "--instruction", str(i), "--bank-ref", f"B{i}", "--date", "2026-01-26").exit_code == 0
    again = run(cli_runner, "caiwu1", "confirm", "--instruction", str(ids[0]), "--bank-ref", f"B{ids[0]}",
                "--date", "2026-01-26")
    assert "未重复记账" in again.output
    status = run(cli_runner, "caiwu1", "status", *r)
    assert "已拨付：1 家" in status.output and "批次 1：已拨付" in status.output


def test_15_3_15_4_bulk_steps_from_the_terminal(app, cli_runner):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=12, seed=2026, year=2026, play=False)
    ensure_demo_staff(sessions)
    r = ["--region", "320600", "--year", "2026"]
    assert run(cli_runner, "caiwu1", "open", *r).exit_code == 0
    answers = {"commitment": True, "signed_by": "院长", "last_assessment": "good", "settled_over_one_year": True,
               "operating_normally": True, "finance_system_sound": True, "cooperates_with_reforms": True,
               "traceability_codes_uploaded": True, "cooperates_with_supervision": True}
    for code in ("H32060000001", "H32060000002", "H32060000003"):
        applications.apply(sessions, "320600", 2026, code, applications.clean_answers() | answers,
                           dt.date(2025, 12, 30), "jiesuan1")
    determination.determine(sessions, "320600", 2026, "jiesuan1")
    determination.fix_list(sessions, "320600", 2026, "jiesuan1", dt.date(2026, 1, 5))
    both = run(cli_runner, "jiesuan2", "sign-many", *r, "--institution", "H32060000001", "--all", "--date", "2026-01-08")
    assert both.exit_code == 2 and both.output.startswith("--institution: ")
    unsecured = run(cli_runner, "jiesuan2", "sign-many", *r, "--all", "--date", "2026-01-08")
    assert unsecured.exit_code == 2 and "机构 H32060000001" in unsecured.output, unsecured.output
    done = run(cli_runner, "jiesuan2", "sign-many", *r, "--all", "--guarantee", "通卫担〔2026〕8号", "--covered", "10000000",
               "--date", "2026-01-08")
    assert done.exit_code == 0 and "登记担保 3 家，签订协议 3 家" in done.output, done.output
    prepared = run(cli_runner, "jiesuan1", "prepare", *r)
    seen = re.search(r"批次摘要 ([0-9a-f]{64})", prepared.output).group(1)
    assert run(cli_runner, "jiesuan1", "submit", "--batch", "1", "--hash", seen).exit_code == 0
    for user in batch_signers(sessions, 1)[1:]:
        assert run(cli_runner, user, "approve", "--batch", "1", "--hash", seen).exit_code == 0
    assert run(cli_runner, "caiwu1", "pay", "--batch", "1", "--date", "2026-01-23").exit_code == 0
    with sessions() as s:
        by_fund = {fund: s.execute(select(PaymentInstruction.id, PaymentInstruction.amount).where(
            PaymentInstruction.fund == fund)).all() for fund in ("employee", "resident")}
    for fund, rows in by_fund.items():
        ids = [a for i, _ in rows for a in ("--instruction", str(i))]
        total = f"{sum(amount for _, amount in rows):.2f}"
        confirmed = run(cli_runner, "caiwu1", "confirm-selected", "--batch", "1", *ids, "--bank-ref", f"DF0126{fund}",
                        "--count", str(len(rows)), "--total", total, "--date", "2026-01-26")
        assert confirmed.exit_code == 0 and f"确认到账并记账 {len(rows)} 笔" in confirmed.output, confirmed.output
    with sessions() as s:
        assert set(s.scalars(select(PaymentInstruction.state))) == {"paid"}
