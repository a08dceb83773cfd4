"""15§(四): a batch's transfers confirmed at once from the bank's return file, as one by one, once."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from accounting.verify import verify
from prepay_admin.intake.kinds import PAYMENT_RETURN
from prepay_admin.intake.writing import data_csv, data_xlsx
from prepay_admin.models import Determination, PaymentBatch, PaymentInstruction, Transition
from prepay_admin.queries.cycle import pending_instruction_records
from prepay_admin.queries.ledger import audit
from prepay_admin.services import batch, payment
from prepay_admin.services.errors import Refused, ServiceError
from prepay_admin.services.payment_return import confirm_return
from tests.cycle_helpers import YEAR, listed_through_fixing, secure_and_sign
from tests.ledger_helpers import vouchers
from tests.signing_helpers import batch_signers

PAID_ON = dt.date(YEAR, 1, 26)


@pytest.fixture
def issued(sessions):
    """A signed-off batch of a dozen institutions with its instructions issued: (batch id, instruction ids)."""
    rows = listed_through_fixing(sessions, institutions=40)
    assert len(secure_and_sign(sessions, rows[:12])) >= 6
    batch_id = batch.prepare(sessions, "320600", YEAR, "jiesuan1")
    for user in batch_signers(sessions, batch_id):
        batch.sign_off(sessions, batch_id, user, "同意", batch.current_hash(sessions, batch_id))
    return batch_id, payment.issue(sessions, batch_id, "caiwu1", dt.date(YEAR, 1, 23))


def returned(sessions, batch_id, fill=lambda r: r, form="xlsx") -> io.BytesIO:
    """The sheet sent to the bank, filled as the bank returns it."""
    records = [fill({**r, "bank_ref": f"RET{r['instruction_id']:06d}", "paid_on": PAID_ON})
               for r in pending_instruction_records(sessions, batch_id)]
    out = io.BytesIO()
    (data_xlsx if form == "xlsx" else data_csv)(PAYMENT_RETURN, [r for r in records if r is not None], out)
    out.seek(0)
    return out


def counts(sessions):
    """Payment vouchers (RULES §7, turn 3: and the transfers that fund them), transitions, instructions."""
    with sessions() as s:
        return (vouchers(s, "payment-instruction:"),
                s.scalar(select(func.count()).select_from(Transition)),
                dict(s.execute(select(PaymentInstruction.state, func.count()).group_by(PaymentInstruction.state)).all()))


def test_15_4_the_banks_return_file_confirms_every_instruction_and_posts_each_once(sessions, issued):
    batch_id, ids = issued
    entries_before = counts(sessions)[0]
    done = confirm_return(sessions, batch_id, returned(sessions, batch_id), "caiwu1")
    with sessions() as s:
        instructions = s.scalars(select(PaymentInstruction).where(PaymentInstruction.batch_id == batch_id)).all()
        assert done.confirmed == len(ids) == len(instructions) and done.replayed == 0
        assert done.amount == sum((i.amount for i in instructions), D(0))
        assert all(i.state == "paid" and i.bank_ref == f"RET{i.id:06d}" and i.paid_on == PAID_ON
                   and i.ledger_entry_id and i.paying_account.endswith("expenditure_deposit") for i in instructions)
        assert s.get(PaymentBatch, batch_id).state == "paid"
        assert set(s.scalars(select(Determination.state).where(Determination.state.in_(("signed", "paid"))))) == {"paid"}
        reasons = s.scalars(select(Transition.reason).where(Transition.machine == "payment",
                                                            Transition.action == "confirm")).all()
        assert sorted(reasons) == sorted(f"银行流水号 RET{i:06d}（到账回单）" for i in ids)
        assert verify(s) == []
    assert counts(sessions)[0] == entries_before + len(ids)
    with sessions() as s:  # one transfer from the special account funds the return, per fund's book
        funds = s.scalar(select(func.count(PaymentInstruction.fund.distinct()))
                         .where(PaymentInstruction.batch_id == batch_id))
        assert vouchers(s, "payment-return:") == funds
    assert audit(sessions, on=dt.date(YEAR, 1, 31)) == []


def test_15_4_the_same_file_again_is_a_replay_and_writes_nothing(sessions, issued):
    batch_id, ids = issued
    first = returned(sessions, batch_id)
    data = first.getvalue()
    confirm_return(sessions, batch_id, first, "caiwu1")
    before = counts(sessions)
    again = confirm_return(sessions, batch_id, io.BytesIO(data), "caiwu1")
    assert (again.confirmed, again.replayed, again.amount) == (0, len(ids), D("0.00"))
    assert counts(sessions) == before


def test_15_4_a_file_confirms_what_the_screen_left_and_a_confirmed_one_keeps_its_voucher(sessions, issued):
    """One instruction confirmed by hand first, with the bank's reference: the file replays it."""
    batch_id, ids = issued
    data = returned(sessions, batch_id).getvalue()
    by_hand = payment.confirm(sessions, ids[0], f"RET{ids[0]:06d}", PAID_ON, "caiwu1")
    done = confirm_return(sessions, batch_id, io.BytesIO(data), "caiwu1")
    assert (done.confirmed, done.replayed) == (len(ids) - 1, 1)
    with sessions() as s:
        assert s.get(PaymentInstruction, ids[0]).ledger_entry_id == by_hand.ledger_entry_id
        assert verify(s) == []


def test_15_4_a_file_with_bad_rows_is_refused_whole_naming_each_row_and_column(sessions, issued):
    batch_id, ids = issued
    sheet = list(pending_instruction_records(sessions, batch_id))
    first = sheet[0]["instruction_id"]
    # a reference is unique per paying account, and each fund pays from its own
    second = next(r["instruction_id"] for r in sheet[1:] if r["fund"] == sheet[0]["fund"])
    third = next(r["instruction_id"] for r in sheet[1:] if r["instruction_id"] != second)
    rows = {r["instruction_id"]: n for n, r in enumerate(sheet, start=2)}

    def tamper(r):
        if r["instruction_id"] == first:
            return {**r, "amount": r["amount"] + 1}  # not what was sent
        if r["instruction_id"] == second:
            return {**r, "bank_ref": f"RET{first:06d}"}  # one transfer for two instructions
        if r["instruction_id"] == third:
            return {**r, "paid_on": dt.date(YEAR, 1, 20)}  # before the instruction was issued
        return r

    before = counts(sessions)
    with pytest.raises(Refused) as err:
        confirm_return(sessions, batch_id, returned(sessions, batch_id, tamper), "caiwu1")
    problems = dict(err.value.problems)
    assert problems["第 2 行 金额"].startswith(f"与拨付指令 {first} 不符")
    assert "与第 2 行重复" in problems[f"第 {rows[second]} 行 银行流水号"]
    assert "早于拨付指令生成日" in problems[f"第 {rows[third]} 行 到账日期"]
    assert err.value.summary == "到账回单有 3 处错误，未作保存"
    assert counts(sessions) == before


def test_15_4_a_return_naming_another_batchs_or_a_voided_instruction_is_refused(sessions, issued):
    batch_id, ids = issued
    payment.void(sessions, ids[-1], "caiwu1", "账户已销户")
    data = returned(sessions, batch_id).getvalue()  # the voided one is no longer in the sheet
    sheet = returned(sessions, batch_id, lambda r: {**r, "instruction_id": 999_999} if r["instruction_id"] == ids[0]
                     else r)
    with pytest.raises(Refused) as err:
        confirm_return(sessions, batch_id, sheet, "caiwu1")
    assert err.value.problems == [("第 2 行 指令编号", f"批次 {batch_id} 中没有拨付指令 999999")]
    done = confirm_return(sessions, batch_id, io.BytesIO(data), "caiwu1")
    assert done.confirmed == len(ids) - 1
    with sessions() as s:
        assert s.get(PaymentBatch, batch_id).state == "paid"  # the last pending one voided, the rest paid


@pytest.mark.parametrize("content, message", [
    (b"", "文件为空"),
    ("指令编号,机构编码\n1,H32060000001\n".encode(), "缺少列"),
    (b"\x00\x01\x02garbage", "CSV"),
    ("指令编号,机构编码,险种,收款账号,金额,银行流水号,到账日期\n".encode(), "没有数据行"),
])
def test_15_4_an_unreadable_or_empty_return_is_refused_with_its_reason(sessions, issued, content, message):
    batch_id, _ = issued
    with pytest.raises(Refused) as err:
        confirm_return(sessions, batch_id, io.BytesIO(content), "caiwu1")
    assert message in err.value.message


def test_15_4_a_csv_return_in_gb18030_is_read_as_well(sessions, issued):
    batch_id, ids = issued
    text = returned(sessions, batch_id, form="csv").getvalue().decode("utf-8-sig")
    done = confirm_return(sessions, batch_id, io.BytesIO(text.encode("gb18030")), "caiwu1")
    assert done.confirmed == len(ids)


def test_24_only_the_finance_department_confirms_a_return(sessions, issued):
    batch_id, _ = issued
    before = counts(sessions)
    with pytest.raises(ServiceError) as err:
        confirm_return(sessions, batch_id, returned(sessions, batch_id), "jiesuan1")
    assert err.value.field == "user"
    assert counts(sessions) == before


def test_15_4_from_the_terminal_the_sheet_goes_to_the_bank_and_its_return_confirms(sessions, issued, cli_runner,
                                                                                     tmp_path):
    from openpyxl import load_workbook

    from tests.console import as_user

    batch_id, ids = issued
    sheet = tmp_path / "代发.xlsx"
    out = cli_runner.invoke(args=["cycle", "payment-sheet", "--batch", str(batch_id), "--out", str(sheet)],
                            env=as_user(cli_runner.app, "caiwu1"))
    assert out.exit_code == 0 and f"待确认的拨付指令 {len(ids)} 笔" in out.output, out.output
    book = load_workbook(sheet)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == tuple(c.header for c in PAYMENT_RETURN.columns) and len(rows) == 1 + len(ids)
    for row in book.active.iter_rows(min_row=2):  # the bank fills reference and date
        row[5].value, row[6].value = f"B{row[0].value}", "2026-01-26"
    book.save(sheet)
    refused = cli_runner.invoke(args=["cycle", "confirm-return", "--batch", str(batch_id), "--file", str(sheet)],
                                env=as_user(cli_runner.app, "jiesuan1"))
    assert refused.exit_code == 2 and "财务管理部门" in refused.output
    done = cli_runner.invoke(args=["cycle", "confirm-return", "--batch", str(batch_id), "--file", str(sheet)],
                             env=as_user(cli_runner.app, "caiwu1"))
    assert done.exit_code == 0 and f"确认到账并记账 {len(ids)} 笔" in done.output, done.output
    again = cli_runner.invoke(args=["cycle", "confirm-return", "--batch", str(batch_id), "--file", str(sheet)],
                              env=as_user(cli_runner.app, "caiwu1"))
    assert again.exit_code == 0 and f"{len(ids)} 笔此前已确认，未重复记账" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("指令编号,机构编码,险种,收款账号,金额,银行流水号,到账日期\nabc,H1,职工,1,1,R,2026-01-26\n",
                   encoding="utf-8")
    refused = cli_runner.invoke(args=["cycle", "confirm-return", "--batch", str(batch_id), "--file", str(bad)],
                                env=as_user(cli_runner.app, "caiwu1"))
    assert refused.exit_code == 2 and "--file: 共 3 处错误，未作保存" in refused.output
    assert "第 2 行 指令编号: 须为整数\n  第 2 行 机构编码:" in refused.output and "Traceback" not in refused.output
    missing = cli_runner.invoke(args=["cycle", "confirm-return", "--batch", str(batch_id), "--file",
                                      str(tmp_path / "none.xlsx")], env=as_user(cli_runner.app, "caiwu1"))
    assert missing.exit_code == 2 and "无法读取文件" in missing.output


def test_15_4_on_the_cycle_screen_the_sheet_downloads_and_the_return_confirms(sessions, issued, client):
    from openpyxl import load_workbook

    from tests.screens import csrf_token, sign_in

    batch_id, ids = issued
    page = f"/cycle/320600/{YEAR}"
    sign_in(client, "caiwu1")
    shown = client.get(page).get_data(as_text=True)
    assert "导出银行代发清单（按付款账户，含合计）" in shown and "导出回单模板" in shown and "按回单批量确认到账" in shown
    sheet = client.get(f"{page}/batches/{batch_id}/payment-sheet.xlsx")
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(sheet.data))
    assert book.active.max_row == 1 + len(ids)
    for row in book.active.iter_rows(min_row=2):
        row[5].value, row[6].value = f"S{row[0].value}", "2026-01-26"
    filled = io.BytesIO()
    book.save(filled)

    def upload(data: bytes, name="回单.xlsx"):
        return client.post(f"{page}/batches/{batch_id}/return", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, page), "paid_from": "expenditure", "file": (io.BytesIO(data), name)})

    wrong = upload("指令编号,机构编码,险种,收款账号,金额,银行流水号,到账日期\n1,H32060000001,职工,12345678,1.00,X,2026-01-26\n"
                   .encode(), "回单.csv")
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "第 2 行" in text and "不符" in text
    done = upload(filled.getvalue())
    assert done.status_code == 302
    assert f"确认到账并记账 {len(ids)} 笔" in client.get(page).get_data(as_text=True)
    with sessions() as s:
        assert s.get(PaymentBatch, batch_id).state == "paid"
    assert upload(b"").status_code == 400  # an empty file: said, nothing written


def test_24_a_return_uploaded_by_another_department_is_a_recorded_403(sessions, issued, client):
    from tests.screens import csrf_token, sign_in

    batch_id, _ = issued
    page = f"/cycle/320600/{YEAR}"
    sign_in(client, "jiesuan1")
    before = counts(sessions)
    refused = client.post(f"{page}/batches/{batch_id}/return", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "paid_from": "expenditure",
        "file": (returned(sessions, batch_id), "回单.xlsx")})
    assert refused.status_code == 403 and counts(sessions) == before


def test_15_4_through_the_api_a_return_confirms_once_and_a_bad_one_is_a_422_by_row(sessions, issued, app):
    from tests.console import token_for

    batch_id, ids = issued
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(app, 'caiwu1')}"}
    path = f"/api/v1/batches/{batch_id}/payment-return"

    def post(data: bytes, key: str, who=headers):
        return client.post(path, headers={**who, "Idempotency-Key": key}, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "return.xlsx")})

    bad = returned(sessions, batch_id, lambda r: {**r, "bank_account": "99999999"}).getvalue()
    refused = post(bad, "r-1")
    assert refused.status_code == 422 and refused.json["message"] == f"到账回单有 {len(ids)} 处错误，未作保存"
    assert refused.json["errors"]["第 2 行 收款账号"][0].startswith("与拨付指令")
    good = returned(sessions, batch_id).getvalue()
    other = {"Authorization": f"Bearer {token_for(app, 'jiesuan1')}"}
    assert post(good, "r-2", other).status_code == 403
    done = post(good, "r-3")
    assert done.status_code == 200 and done.json["confirmed"] == len(ids) and isinstance(done.json["amount"], str)
    assert post(good, "r-3").json == done.json  # a retried request answers with its first result
    again = post(good, "r-4")
    assert again.status_code == 200 and (again.json["confirmed"], again.json["replayed"]) == (0, len(ids))
    assert post(good, "r-3", headers).status_code == 200
    assert client.post("/api/v1/batches/999999/payment-return", headers={**headers, "Idempotency-Key": "r-5"},
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(good), "return.xlsx")}).status_code == 404


def test_15_4_a_wholly_wrong_return_names_the_first_thousand_problems_and_counts_the_rest(sessions, issued):
    batch_id, _ = issued
    header = "指令编号,机构编码,险种,收款账号,金额,银行流水号,到账日期\n"
    rows = "".join(f"{900_000 + n},H32060000001,职工,6222000000000001,1.00,X{n},2026-01-26\n" for n in range(1_200))
    with pytest.raises(Refused) as err:
        confirm_return(sessions, batch_id, io.BytesIO((header + rows).encode()), "caiwu1")
    assert len(err.value.problems) == 1_001 and err.value.total == 1_200
    assert err.value.problems[-1] == ("文件", "另有 200 处错误未列出（共 1,200 处）")
    assert err.value.summary == "到账回单有 1,200 处错误，未作保存"


def test_15_4_two_uploads_of_one_return_at_once_post_each_payment_once(sessions, issued):
    """A double click, or two clerks: the batch is locked, the second finds every row confirmed."""
    from concurrent.futures import ThreadPoolExecutor

    batch_id, ids = issued
    data = returned(sessions, batch_id).getvalue()
    entries = counts(sessions)[0]
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda _: confirm_return(sessions, batch_id, io.BytesIO(data), "caiwu1"), range(4)))
    assert sorted(d.confirmed for d in done) == [0, 0, 0, len(ids)]
    assert sorted(d.replayed for d in done) == [0, len(ids), len(ids), len(ids)]
    assert counts(sessions)[0] == entries + len(ids)
    with sessions() as s:
        assert verify(s) == []


def test_15_4_a_transfer_the_bank_returns_unpaid_is_failed_reissued_to_the_corrected_account_and_paid_once(
        sessions, issued):
    """退票 (issue 30): the return marks the row failed with the bank's reason and posts nothing; the batch
    is not paid while it waits; it is re-issued to the account the institution has registered since and
    confirmed once; the books and the invariants hold at every step."""
    from prepay_admin.models import BatchItem, Institution
    from prepay_admin.policy.transitions import BatchState, DeterminationState, PaymentState
    from prepay_admin.queries.invariants import broken

    batch_id, ids = issued
    first = ids[0]
    entries_before = counts(sessions)[0]
    done = confirm_return(sessions, batch_id, returned(sessions, batch_id, lambda r: {
        **r, "bank_ref": None, "paid_on": None, "outcome": "failed", "failure": "账户已销户"}
        if r["instruction_id"] == first else r), "caiwu1")
    assert (done.confirmed, done.failed) == (len(ids) - 1, 1)
    assert counts(sessions)[0] == entries_before + len(ids) - 1  # nothing posted for the returned one
    with sessions() as s:
        failed = s.get(PaymentInstruction, first)
        det = s.get(Determination, s.get(BatchItem, failed.batch_item_id).determination_id)
        assert (failed.state, failed.failure_reason, failed.ledger_entry_id) == ("failed", "账户已销户", None)
        assert det.state == DeterminationState.SIGNED  # not paid
        assert s.get(PaymentBatch, batch_id).state == BatchState.PAYING  # the batch waits for it
        code, old_account = failed.institution_code, failed.bank_account
    assert broken(sessions, None) == []
    with pytest.raises(ServiceError, match="只有待拨付的指令才能登记退票"):
        payment.bounce(sessions, ids[1], "户名不符", "caiwu1")  # already paid: the bank paid it
    with pytest.raises(ServiceError, match="须说明"):
        payment.reissue(sessions, first, "caiwu1", " ")
    with pytest.raises(ServiceError, match="早于"):  # not dated before it was sent and returned
        payment.reissue(sessions, first, "caiwu1", "变更函", dt.date(YEAR, 1, 20))
    # the institution's account corrected in its register (as a correction import does), then re-issued
    with sessions.begin() as s:
        s.execute(Institution.__table__.update().where(Institution.code == code)
                  .values(bank_account="6222000011112222", bank_name="中国银行南通分行"))
    sent = payment.reissue(sessions, first, "caiwu1", "机构账户变更函（通医〔2026〕3号）", dt.date(YEAR, 1, 27))
    assert sent.changed and sent.bank_account == "6222000011112222" and sent.bank_account != old_account
    with pytest.raises(ServiceError, match="只有银行退票的指令才能重新拨付"):
        payment.reissue(sessions, first, "caiwu1", "再次")
    # 24§(四): a re-issue is neither sent nor confirmed before 内审 reviews it, and never by its maker
    assert first not in [r["instruction_id"] for r in pending_instruction_records(sessions, batch_id)]
    with pytest.raises(ServiceError, match="待内审部门复核"):
        payment.confirm(sessions, first, "RET-EARLY", dt.date(YEAR, 1, 28), "caiwu1")
    with pytest.raises(ServiceError, match="无权|须由内审"):
        payment.approve_reissue(sessions, first, "caiwu1", "自己复核")
    payment.approve_reissue(sessions, first, "neishen1", "已核对账户变更函（通医〔2026〕3号）")
    assert first in [r["instruction_id"] for r in pending_instruction_records(sessions, batch_id)]
    # the earlier return uploaded again changes nothing now: it answers the first sending, not this one
    stale = io.BytesIO()
    data_csv(PAYMENT_RETURN, [{**r, "outcome": "failed", "failure": "账户已销户", "bank_ref": None, "paid_on": None,
                               "attempt": 1} for r in pending_instruction_records(sessions, batch_id)], stale)
    stale.seek(0)
    with pytest.raises(Refused, match="已重新拨付"):
        confirm_return(sessions, batch_id, stale, "caiwu1")
    paid = payment.confirm(sessions, first, "RET-AGAIN-1", dt.date(YEAR, 1, 28), "caiwu1")
    with sessions() as s:
        assert s.get(PaymentInstruction, first).state == PaymentState.PAID
        assert s.get(PaymentBatch, batch_id).state == BatchState.PAID
        assert s.get(Determination, det.id).state == DeterminationState.PAID
    assert not paid.replayed and broken(sessions, None) == []
    with sessions.begin() as s:  # forged: the review erased: a re-issue paid unreviewed is named
        s.execute(PaymentInstruction.__table__.update().where(PaymentInstruction.id == first)
                  .values(reissue_approved_by=None))
    assert any("payment_unsigned" in b and "经内审复核" in b for b in broken(sessions, None))


def test_24_5_a_payment_to_an_account_nobody_signed_for_is_named_by_the_invariants(sessions, issued):
    from prepay_admin.queries.invariants import broken

    batch_id, ids = issued
    confirm_return(sessions, batch_id, returned(sessions, batch_id), "caiwu1")
    with sessions.begin() as s:  # forged: a paid instruction's account changed with no bank return behind it
        s.execute(PaymentInstruction.__table__.update().where(PaymentInstruction.id == ids[0])
                  .values(bank_account="6222999999999999"))
    assert any("payment_unsigned" in b and "与签字的批次行不符" in b for b in broken(sessions, None))


def test_17_a_transfer_returned_is_not_sent_again_once_the_next_years_advance_is_batched(sessions):
    """17§ (issue 30 review): the next year's batch pays the whole new advance to an institution that
    never received this year's; re-sending this year's too would pay it twice: refused, void it instead."""
    from prepay_admin.models import BatchItem, Campaign
    from prepay_admin.services.demo import load_demo

    load_demo(sessions, institutions=10, seed=2026, year=YEAR, years=2)
    with sessions.begin() as s:  # a first year's transfer the bank returned (state set as a bounce leaves it)
        first_year = s.scalar(select(Campaign.year).order_by(Campaign.year).limit(1))
        later = (select(BatchItem.institution_code).join(PaymentBatch, PaymentBatch.id == BatchItem.batch_id)
                 .join(Campaign, Campaign.id == PaymentBatch.campaign_id).where(Campaign.year > first_year))
        instruction = s.scalar(select(PaymentInstruction).join(PaymentBatch).join(Campaign)
                               .where(Campaign.year == first_year, PaymentInstruction.institution_code.in_(later))
                               .order_by(PaymentInstruction.id).limit(1))
        s.execute(PaymentInstruction.__table__.update().where(PaymentInstruction.id == instruction.id).values(
            state="failed", failure_reason="账户已销户", ledger_entry_id=None, bank_ref=None, paid_on=None))
        instruction_id = instruction.id
    with pytest.raises(ServiceError, match="不再重新拨付"):
        payment.reissue(sessions, instruction_id, "caiwu1", "账户变更函", dt.date(first_year + 1, 2, 1))
