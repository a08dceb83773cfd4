"""15§(四): a batch's transfers confirmed at once from the bank's return file (代发回单).

A province pays tens of thousands of instructions in one batch; the bank pays them as one batch
transfer and returns, per instruction, its transaction reference and date. The finance department
uploads that file in the layout of the instruction list it sent (``intake.kinds.PAYMENT_RETURN``) and
every instruction in it is confirmed as ``payment.confirm`` would confirm it one by one — the same
checks, the same voucher under the same idempotency key — in one transaction with a bounded number of
statements per table. The file is taken whole or not at all: every problem is named by row and column.
A row already confirmed with the same reference is replayed; uploading the file again changes nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO, Iterator

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from accounting import templates
from accounting.chart import Role
from accounting.ledger import get_book, post_many_in

from .. import clock
from ..intake.kinds import FUND_CN, PAYMENT_RETURN
from ..intake.reading import FileProblem, records
from ..models import BatchItem, Department, Determination, PaymentInstruction
from ..policy.transitions import DETERMINATION, PAYMENT, DeterminationState, PaymentState
from ..queries.matching import starting
from .batch import batch_step
from .books import fund_payment_in
from .dates import not_after_today
from .errors import Refused, ServiceError
from .payment import PAYING_ACCOUNTS, awaits_review, complete_if_settled, paying_account_key, sendable

ROWS_MAX = 200_000  # a province's batch is below 100,000 institutions, two funds each
PROBLEMS_MAX = 1_000  # named one by one; beyond, how many more
IDS_PER_QUERY = 1_000  # PostgreSQL takes at most 65,535 parameters a statement
COLUMN_ORDER = {column.header: n for n, column in enumerate(PAYMENT_RETURN.columns)}  # problems as the file reads
FUND_TEXT = {fund: name for name, fund in FUND_CN.items() if len(name) == 2}  # 职工, 居民


@dataclass(frozen=True)
class ReturnConfirmed:
    batch_id: int
    rows: int
    confirmed: int  # newly confirmed and posted
    replayed: int  # confirmed (or returned) before with the same reference (reason): nothing new
    amount: Decimal  # of those newly confirmed
    failed: int = 0  # newly returned unpaid by the bank (退票): marked failed, nothing posted


def confirm_return(sessions: sessionmaker, batch_id: int, stream: BinaryIO, user: str,
                   paid_from: Role = Role.EXPENDITURE_DEPOSIT) -> ReturnConfirmed:
    """Confirm every instruction of the bank's return file for batch ``batch_id``, posting each
    Dr 暂付款—医保预付金 / Cr the paying account; ``Refused`` with every problem, nothing written."""
    if paid_from not in PAYING_ACCOUNTS:
        raise ServiceError("付款账户须为支出户存款或财政专户存款", "paid_from")
    context, found = batch_step(sessions, batch_id, user)
    with context as step:
        step.require(Department.FINANCE)  # 24§ before the file is read: another department's upload is refused as such
        rows, problems = _read(stream)
        return _confirm_rows(step, found["batch"], rows, problems, paid_from, user)


def confirm_selected(sessions: sessionmaker, batch_id: int, instruction_ids: list[int], bank_ref: str,
                     paid_on: dt.date, user: str, paid_from: Role = Role.EXPENDITURE_DEPOSIT, *,
                     paid_count: int | None = None, paid_total: Decimal | None = None) -> ReturnConfirmed:
    """Confirm the selected instructions of batch ``batch_id`` from one batch transfer of the bank (批量代发)
    that paid every one of them, each as ``payment.confirm`` would: its reference is the transfer's,
    ``bank_ref``, with the instruction's number (``bank_ref-123``), one voucher per instruction. The same
    checks as a return file, all or nothing; a selection confirmed before with the same reference is replayed.

    What ties it to the bank: the transfer's slip (回单) states how many lines it paid and their total,
    ``paid_count`` and ``paid_total``, which must equal the selection's; one transfer debits one account, so
    the selection is of one fund; a reference already used for other instructions is refused; a re-issued
    instruction was sent on its own and is confirmed on its own. A transfer with lines returned unpaid is
    confirmed from the bank's return file instead."""
    if paid_from not in PAYING_ACCOUNTS:
        raise ServiceError("付款账户须为支出户存款或财政专户存款", "paid_from")
    bank_ref = bank_ref.strip()
    if not bank_ref or len(bank_ref) > 80:
        raise ServiceError("须填写银行代发批次流水号（不超过 80 个字符）", "bank_ref")
    not_after_today(paid_on, "paid_on", "到账日期")
    wanted = sorted(set(instruction_ids))
    if not wanted:
        raise ServiceError("请选择拨付指令", "instruction")
    if len(wanted) > ROWS_MAX:
        raise ServiceError(f"一次最多确认 {ROWS_MAX:,} 笔", "instruction")
    if paid_count is None or paid_total is None:
        raise ServiceError("须填写银行回单上的成功笔数和成功金额", "paid_count")
    context, found = batch_step(sessions, batch_id, user)
    with context as step:
        step.require(Department.FINANCE)
        known = _instructions(step.session, wanted)
        _tie_to_the_slip(step.session, known, wanted, bank_ref, paid_count, paid_total, paid_from, step.region.code)
        rows = [(number, {"instruction_id": number, "institution_code": i.institution_code, "fund": i.fund,
                          "bank_account": i.bank_account, "amount": i.amount, "attempt": i.attempt,
                          "bank_ref": selected_reference(bank_ref, number), "paid_on": paid_on, "outcome": None,
                          "failure": None} if (i := known.get(number)) else
                 {"instruction_id": number, "institution_code": None, "fund": None, "bank_account": None,
                  "amount": None, "attempt": None, "bank_ref": None, "paid_on": paid_on, "outcome": None,
                  "failure": None}) for number in wanted]
        return _confirm_rows(step, found["batch"], rows, [], paid_from, user, selected=True)


def _tie_to_the_slip(session, known: dict, wanted: list[int], bank_ref: str, paid_count: int, paid_total: Decimal,
                     paid_from: Role, region_code: str) -> None:
    """15§(四): nothing is confirmed that the bank's slip does not show paid."""
    chosen = [known[i] for i in wanted if i in known]
    funds = {i.fund for i in chosen}
    if len(funds) > 1:
        raise ServiceError("一笔代发只从一个付款账户付款：职工、居民基金的指令请分别确认", "instruction")
    if any(i.attempt > 1 for i in chosen):
        raise ServiceError("重新拨付的指令单独发送银行，请逐笔确认其银行流水号", "instruction")
    total = sum((i.amount for i in chosen), Decimal("0.00"))
    if paid_count != len(wanted) or paid_total != total:
        raise ServiceError(f"银行回单为 {paid_count} 笔、{paid_total:,.2f} 元，所选指令为 {len(wanted)} 笔、{total:,.2f} 元，"
                           f"不一致：有退票的请以银行回单文件确认", "paid_count")
    if funds:
        account = paying_account_key(region_code, next(iter(funds)).value, paid_from)
        other = session.scalar(select(PaymentInstruction.id).where(
            PaymentInstruction.paying_account == account, PaymentInstruction.bank_ref.like(starting(f"{bank_ref}-"), escape="\\"),
            PaymentInstruction.id.not_in(wanted)).limit(1))
        if other is not None:
            raise ServiceError(f"银行代发批次流水号 {bank_ref} 已用于确认拨付指令 {other}：一笔代发只确认一次", "bank_ref")


def selected_reference(bank_ref: str, instruction_id: int) -> str:
    """The reference an instruction confirmed from a selection is recorded with: the batch transfer's and
    its own number, so that each transfer confirms one instruction."""
    return f"{bank_ref}-{instruction_id}"


def _confirm_rows(step, batch, rows: list[tuple[int, dict]], problems: list[tuple[int, str, str]], paid_from: Role,
                  user: str, selected: bool = False) -> ReturnConfirmed:
    """The rows of a return (or a selection) checked against their instructions and confirmed, whole or not."""
    session = step.session
    accounts = {fund: paying_account_key(step.region.code, fund.value, paid_from) for fund in FUND_TEXT}
    known = _instructions(session, [r["instruction_id"] for _, r in rows])
    used = _references_used(session, accounts, [(n, r) for n, r in rows if r["fund"] is not None])
    fresh, bounced, replayed = [], [], 0
    for number, row in rows:
        found_problems = _row_problems(batch.id, row, known.get(row["instruction_id"]), accounts, used)
        if found_problems is None:
            replayed += 1
        elif found_problems:
            problems.extend((number, column, message) for column, message in found_problems)
        else:
            (bounced if row["outcome"] == PaymentState.FAILED else fresh).append(row)
    if problems:
        problems.sort(key=lambda p: (p[0], COLUMN_ORDER.get(p[1], len(COLUMN_ORDER))))
        named = [(f"拨付指令 {number}" if selected else f"第 {number} 行 {column}", message)
                 for number, column, message in problems[:PROBLEMS_MAX]]
        if len(problems) > PROBLEMS_MAX:  # a wrong file of a whole batch: the first ones say why
            named.append(("文件", f"另有 {len(problems) - PROBLEMS_MAX:,} 处错误未列出（共 {len(problems):,} 处）"))
        raise Refused(named, "instruction" if selected else "file", "所选拨付指令" if selected else "到账回单",
                      len(problems))
    if bounced:  # 退票: nothing left the fund; the batch waits until each is re-issued or voided
        step.transition_many(PAYMENT, PaymentInstruction, [r["instruction_id"] for r in bounced],
                             PaymentState.PENDING, "bounce",
                             {r["instruction_id"]: f"银行退票：{r['failure']}（{r['bank_account']}，到账回单）"
                              for r in bounced})
        session.execute(update(PaymentInstruction).execution_options(synchronize_session=False), [
            dict(id=r["instruction_id"], failure_reason=r["failure"]) for r in bounced])
    if not fresh:
        return ReturnConfirmed(batch.id, len(rows), 0, replayed, Decimal("0.00"), len(bounced))

    ids = [r["instruction_id"] for r in fresh]
    step.transition_many(PAYMENT, PaymentInstruction, ids, PaymentState.PENDING, "confirm",
                         {r["instruction_id"]: f"银行流水号 {r['bank_ref']}（{'批量确认' if selected else '到账回单'}）"
                          for r in fresh})
    posted: dict[int, int] = {}
    by_fund: dict[object, list[dict]] = defaultdict(list)
    for row in fresh:
        by_fund[known[row["instruction_id"]].fund].append(row)
    for fund, fund_rows in by_fund.items():
        book = get_book(session, step.region.code, fund)
        paid_ids = ",".join(str(r["instruction_id"]) for r in sorted(fund_rows, key=lambda r: r["instruction_id"]))
        fund_payment_in(session, book.id, sum((r["amount"] for r in fund_rows), Decimal("0.00")),
                        min(r["paid_on"] for r in fund_rows),
                        f"payment-return:{batch.id}:{hashlib.sha256(paid_ids.encode()).hexdigest()[:16]}", user,
                        paid_from)  # RULES §7: the transfer that funds these payments
        drafts = [(templates.advance_paid(
            row["institution_code"], row["amount"], row["paid_on"], f"payment-instruction:{row['instruction_id']}",
            paid_from=paid_from, summary=f"拨付 {row['institution_code']} {step.year} 年度医保预付金"
                                         f"（银行流水 {row['bank_ref']}）"),
            f"payment-instruction:{row['instruction_id']}") for row in fund_rows]
        for row, done in zip(fund_rows, post_many_in(session, book.id, drafts, user)):
            posted[row["instruction_id"]] = done.entry_id
    try:  # a reference confirmed at the same moment by another request: the unique key decides
        with session.begin_nested():
            session.execute(update(PaymentInstruction).execution_options(synchronize_session=False), [
                dict(id=r["instruction_id"], bank_ref=r["bank_ref"], paid_on=r["paid_on"],
                     paying_account=accounts[known[r["instruction_id"]].fund],
                     ledger_entry_id=posted[r["instruction_id"]]) for r in fresh])
    except IntegrityError:
        raise ServiceError("回单中的银行流水号已用于另一笔拨付指令：一笔转账只能确认一笔拨付", "file") from None
    _close_paid_determinations(step, batch.id, ids)
    complete_if_settled(step, batch)
    return ReturnConfirmed(batch.id, len(rows), len(fresh), replayed,
                           sum((r["amount"] for r in fresh), Decimal("0.00")), len(bounced))


def sent_rows(session: Session, batch_id: int) -> Iterator[dict]:
    """The batch's pending instructions as rows of the bank's sheet (``PAYMENT_RETURN``), streamed, with the
    columns the bank fills (``bank_ref``, ``paid_on``) blank."""
    for row in session.execute(select(
            PaymentInstruction.id.label("instruction_id"), PaymentInstruction.institution_code,
            PaymentInstruction.fund, PaymentInstruction.bank_account, PaymentInstruction.amount,
            PaymentInstruction.attempt).where(
            PaymentInstruction.batch_id == batch_id, PaymentInstruction.state == PaymentState.PENDING, sendable())
            .order_by(PaymentInstruction.id).execution_options(yield_per=2000)):
        yield {**row._asdict(), "bank_ref": None, "paid_on": None, "outcome": None, "failure": None}


def _read(stream: BinaryIO) -> tuple[list[tuple[int, dict]], list[tuple[int, str, str]]]:
    """The file's rows that read well, each checked on its own and against the others, and every problem
    found as (row, column, message); a file that cannot be read at all is refused at once."""
    problems: list[tuple[int, str, str]] = []
    rows: list[tuple[int, dict]] = []
    firsts: dict[str, dict[tuple, int]] = {"指令编号": {}, "银行流水号": {}}
    today = clock.today()
    try:
        for parsed in records(PAYMENT_RETURN, stream):
            if parsed.row > ROWS_MAX + 1:
                raise Refused([("文件", f"超过 {ROWS_MAX:,} 行：请按批次分文件上传")], "file", "到账回单")
            problems.extend((e.row, e.column, e.message) for e in parsed.errors)
            if parsed.record is None:
                continue
            record = parsed.record
            if record["paid_on"] is not None and record["paid_on"] > today:
                problems.append((parsed.row, "到账日期", f"{record['paid_on']} 晚于今天（北京时间 {today}）"))
            for column, key in (("指令编号", (record["instruction_id"],)),
                                ("银行流水号", (record["fund"], record["bank_ref"]))):
                if key[-1] is None:  # a returned transfer has no reference
                    continue
                if key in firsts[column]:
                    problems.append((parsed.row, column, f"与第 {firsts[column][key]} 行重复：一笔转账只能确认一笔拨付"))
                firsts[column].setdefault(key, parsed.row)
            rows.append((parsed.row, record))
    except FileProblem as err:
        raise Refused([("文件", str(err))], "file", "到账回单") from None
    if not rows and not problems:
        raise Refused([("文件", "回单中没有数据行")], "file", "到账回单")
    return rows, problems


def _instructions(session, ids: list[int]) -> dict[int, object]:
    """The instructions the file names, by id, in bounded lookups (a province's batch in 150 of them);
    whichever batch they belong to, so a row naming another batch's is told so."""
    columns = (PaymentInstruction.id, PaymentInstruction.batch_id, PaymentInstruction.institution_code,
               PaymentInstruction.fund, PaymentInstruction.bank_account, PaymentInstruction.amount,
               PaymentInstruction.state, PaymentInstruction.issued_on, PaymentInstruction.bank_ref,
               PaymentInstruction.paid_on, PaymentInstruction.failure_reason, PaymentInstruction.attempt,
               PaymentInstruction.reissued_by, PaymentInstruction.reissue_approved_by)
    found = {}
    for i in range(0, len(ids), IDS_PER_QUERY):
        found.update((row.id, row) for row in session.execute(
            select(*columns).where(PaymentInstruction.id.in_(ids[i:i + IDS_PER_QUERY]))))
    return found


def _references_used(session, accounts: dict, rows: list[tuple[int, dict]]) -> dict[tuple, int]:
    """(paying account, reference) → the instruction already confirmed with it, for the file's references."""
    wanted = sorted({(accounts[r["fund"]], r["bank_ref"]) for _, r in rows if r["bank_ref"] is not None})
    used = {}
    for i in range(0, len(wanted), IDS_PER_QUERY):
        refs = [ref for _, ref in wanted[i:i + IDS_PER_QUERY]]
        used.update(((account, ref), instruction_id) for account, ref, instruction_id in session.execute(
            select(PaymentInstruction.paying_account, PaymentInstruction.bank_ref, PaymentInstruction.id).where(
                PaymentInstruction.paying_account.in_(set(accounts.values())), PaymentInstruction.bank_ref.in_(refs))))
    return used


def _row_problems(batch_id: int, row: dict, instruction, accounts: dict, used: dict) -> list[tuple[str, str]] | None:
    """What is wrong with one row against its instruction: [] to confirm it, None when it was confirmed
    before with this very reference (a replay)."""
    number = row["instruction_id"]
    if instruction is None or instruction.batch_id != batch_id:
        return [("指令编号", f"批次 {batch_id} 中没有拨付指令 {number}")]
    for column, field, shown in (("机构编码", "institution_code", str), ("险种", "fund", FUND_TEXT.get),
                                 ("收款账号", "bank_account", str), ("金额", "amount", lambda v: f"{v:,.2f}")):
        if row[field] != getattr(instruction, field):
            return [(column, f"与拨付指令 {number} 不符（指令为 {shown(getattr(instruction, field))}）")]
    sending = row.get("attempt") or 1
    if sending != instruction.attempt:  # a return of an earlier sending: the instruction was sent again since
        return [("发送次数", f"回单是第 {sending} 次发送的结果，拨付指令 {number} 已重新拨付（第 {instruction.attempt} 次发送）："
                           f"请使用重新拨付后导出的回单模板")]
    if awaits_review(instruction):
        return [("指令编号", f"拨付指令 {number} 的重新拨付待内审部门复核，复核前不得发送银行或确认到账")]
    if row["outcome"] == PaymentState.FAILED:  # 退票
        if instruction.state == PaymentState.FAILED and instruction.failure_reason == row["failure"]:
            return None
        if instruction.state != PaymentState.PENDING:
            return [("处理结果", f"拨付指令 {number} 当前为“{PAYMENT.label(instruction.state)}”，不能登记退票")]
        return []
    if instruction.state == PaymentState.FAILED:
        return [("处理结果", f"拨付指令 {number} 已被银行退票（{instruction.failure_reason}）：须先重新拨付")]
    if instruction.state == PaymentState.PAID:
        if instruction.bank_ref == row["bank_ref"]:
            return None
        return [("银行流水号", f"拨付指令 {number} 已于 {instruction.paid_on} 以流水号 {instruction.bank_ref} 确认拨付")]
    if instruction.state != PaymentState.PENDING:
        return [("指令编号", f"拨付指令 {number} 已作废，不能确认到账")]
    problems = []
    if row["paid_on"] < instruction.issued_on:
        problems.append(("到账日期", f"{row['paid_on']} 早于拨付指令生成日 {instruction.issued_on}"))
    other = used.get((accounts[row["fund"]], row["bank_ref"]))
    if other is not None:
        problems.append(("银行流水号", f"{row['bank_ref']} 已用于拨付指令 {other}：一笔转账只能确认一笔拨付"))
    return problems


def _close_paid_determinations(step, batch_id: int, ids: list[int]) -> None:
    """A signed determination whose every instruction is now paid is paid (as ``payment.confirm`` does
    one at a time): found in one query over the batch, moved in one update."""
    session = step.session
    unpaid = (select(PaymentInstruction.id).join(BatchItem, BatchItem.id == PaymentInstruction.batch_item_id)
              .where(BatchItem.determination_id == Determination.id, PaymentInstruction.state != PaymentState.PAID))
    confirmed_items = (select(BatchItem.determination_id).join(
        PaymentInstruction, PaymentInstruction.batch_item_id == BatchItem.id).where(
        BatchItem.batch_id == batch_id, PaymentInstruction.state == PaymentState.PAID))
    paid = session.scalars(select(Determination.id).where(
        Determination.state == DeterminationState.SIGNED, Determination.id.in_(confirmed_items),
        ~exists(unpaid)).order_by(Determination.id)).all()
    step.transition_many(DETERMINATION, Determination, list(paid), DeterminationState.SIGNED, "pay")

