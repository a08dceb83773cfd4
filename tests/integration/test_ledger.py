"""The ledger on each database: posting, idempotency, balances, periods, reversals, guards, reports."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from accounting import guards, reports, xlsx
from accounting import templates as t
from accounting.chart import Role
from accounting.errors import LedgerError
from accounting.ledger import close_period, party_balance, post, reopen_period, reverse
from accounting.models import JournalEntry
from accounting.verify import verify
from prepay_admin.policy.facts import Fund
from tests.ledger_helpers import open_book

JAN = dt.date(2026, 1, 25)
FEB = dt.date(2026, 2, 10)
MAR = dt.date(2026, 3, 5)


@pytest.fixture
def book(sessions):
    return open_book(sessions)


def pay(sessions, book, party="H1", amount="1000000", on=JAN, key=None):
    return post(sessions, book, t.advance_paid(party, D(amount), on, f"payment:{party}"), key or f"pay-{party}-{amount}-{on}", "财务甲")


def entries(sessions):
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(JournalEntry))


def test_21_paying_and_recovering_moves_the_institutions_sub_ledger(sessions, book):
    pay(sessions, book, "H1", "1000000")
    pay(sessions, book, "H2", "300000")
    post(sessions, book, t.recovered_by_offset("H1", D("250000"), FEB, "settlement:2026-02"), "off-1", "财务甲")
    post(sessions, book, t.recovered_by_refund("H1", D("50000"), MAR, "refund:1"), "ref-1", "财务甲")
    with sessions() as s:
        assert party_balance(s, book, Role.ADVANCE, "H1") == D("700000.00")
        assert reports.party_balances(s, book) == {"H1": D("700000.00"), "H2": D("300000.00")}
        tb = reports.trial_balance(s, book, "2026-01", "2026-03")
    assert tb.balanced
    by_code = {r.code: r for r in tb.rows}
    assert by_code["110101"].closing == D("1000000.00")  # = the sum of the institutions' balances
    assert by_code["1004"].closing == D("-1250000.00")  # 支出户存款: paid out 1.3m, 50k refunded
    assert by_code["5001"].closing == D("250000.00")


def test_the_same_idempotency_key_returns_the_first_entry(sessions, book):
    first = pay(sessions, book, key="k1")
    again = pay(sessions, book, key="k1")
    assert (again.entry_id, again.voucher, again.replayed) == (first.entry_id, first.voucher, True)
    assert entries(sessions) == 1


def test_the_same_key_with_different_content_is_refused(sessions, book):
    pay(sessions, book, amount="100", key="k1")
    with pytest.raises(LedgerError) as err:
        pay(sessions, book, amount="200", key="k1")
    assert err.value.code == "idempotency_conflict" and err.value.field == "idempotency_key"
    assert entries(sessions) == 1


def test_21_a_recovery_larger_than_the_balance_is_refused_and_leaves_no_trace(sessions, book):
    pay(sessions, book, amount="100000")
    with pytest.raises(LedgerError) as err:
        post(sessions, book, t.recovered_by_offset("H1", D("100000.01"), FEB, "s"), "off", "财务甲")
    assert err.value.code == "balance_insufficient"
    assert "100,000.00" in err.value.message
    assert entries(sessions) == 1
    # and no voucher number was used up: the next posting takes No. 2
    assert post(sessions, book, t.recovered_by_offset("H1", D("100000"), FEB, "s"), "off2", "财务甲").voucher == "记-2026-0002"


def test_a_write_off_of_an_institution_that_holds_nothing_is_refused(sessions, book):
    with pytest.raises(LedgerError) as err:
        post(sessions, book, t.written_off("H9", D("1"), FEB, "w", "文书", "批准"), "w", "财务甲")
    assert err.value.code == "balance_insufficient"


def test_a_book_without_a_fiscal_special_account_refuses_to_use_one(sessions):
    book = open_book(sessions, fiscal_special_allowed=False)
    with pytest.raises(LedgerError) as err:
        post(sessions, book, t.advance_paid("H1", D("5"), JAN, "p", paid_from=Role.FISCAL_SPECIAL_DEPOSIT), "k", "u")
    assert err.value.code == "fiscal_account_not_allowed"


def test_vouchers_are_numbered_per_book_and_year_without_gaps(sessions, book):
    other = open_book(sessions, fund=Fund.RESIDENT)
    assert pay(sessions, book, "H1").voucher == "记-2026-0001"
    assert pay(sessions, other, "H1").voucher == "记-2026-0001"
    assert pay(sessions, book, "H2").voucher == "记-2026-0002"
    assert pay(sessions, book, "H3", on=dt.date(2027, 1, 3)).voucher == "记-2027-0001"


def test_nothing_is_posted_into_a_closed_period(sessions, book):
    pay(sessions, book, on=JAN)
    close_period(sessions, book, "2026-01", "财务乙")
    with pytest.raises(LedgerError) as err:
        pay(sessions, book, "H2", on=dt.date(2026, 1, 31))
    assert err.value.code == "period_closed"
    pay(sessions, book, "H2", on=FEB)
    with pytest.raises(LedgerError):
        close_period(sessions, book, "2026-01", "财务乙")  # already closed


def test_only_the_latest_closure_is_reopened_and_the_reopening_is_recorded(sessions, book):
    close_period(sessions, book, "2026-01", "财务乙")
    close_period(sessions, book, "2026-02", "财务乙")
    reopened = reopen_period(sessions, book, "财务丙", "补记2月结算冲抵")
    assert (reopened.period, reopened.reopened_by, reopened.reopen_reason) == ("2026-02", "财务丙", "补记2月结算冲抵")
    pay(sessions, book, on=FEB)  # February is open again
    with pytest.raises(LedgerError):
        pay(sessions, book, "H2", on=JAN)  # January is still closed
    with pytest.raises(LedgerError) as err:
        reopen_period(sessions, book, "财务丙", " ")
    assert err.value.code == "reason_required"


def test_a_correction_is_a_reversal_linked_to_the_original_at_most_once(sessions, book):
    first = pay(sessions, book, amount="500000")
    rev = reverse(sessions, first.entry_id, FEB, "rev-1", "财务甲", "金额有误")
    again = reverse(sessions, first.entry_id, FEB, "rev-1", "财务甲", "金额有误")
    assert again.entry_id == rev.entry_id and again.replayed
    with pytest.raises(LedgerError) as err:
        reverse(sessions, first.entry_id, FEB, "rev-2", "财务甲", "再次冲销")
    assert err.value.code == "already_reversed"
    with pytest.raises(LedgerError) as err:
        reverse(sessions, rev.entry_id, FEB, "rev-3", "财务甲", "冲销冲销")
    assert err.value.code == "reversal_of_reversal"
    with sessions() as s:
        assert party_balance(s, book, Role.ADVANCE, "H1") == 0
        assert s.get(JournalEntry, rev.entry_id).reverses_id == first.entry_id


def test_an_entry_of_a_closed_period_is_reversed_in_the_open_period(sessions, book):
    first = pay(sessions, book, on=JAN)
    close_period(sessions, book, "2026-01", "财务乙")
    with pytest.raises(LedgerError):
        reverse(sessions, first.entry_id, JAN, "r", "财务甲", "错误")
    rev = reverse(sessions, first.entry_id, FEB, "r", "财务甲", "错误")
    with sessions() as s:
        assert s.get(JournalEntry, rev.entry_id).period == "2026-02"


def test_reversing_a_payment_already_recovered_is_refused(sessions, book):
    first = pay(sessions, book, amount="100000")
    post(sessions, book, t.recovered_by_refund("H1", D("100000"), FEB, "r"), "ref", "财务甲")
    with pytest.raises(LedgerError) as err:
        reverse(sessions, first.entry_id, FEB, "rev", "财务甲", "错误")
    assert err.value.code == "balance_insufficient"


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entry SET summary = 'x'",
    "DELETE FROM ledger_entry",
    "UPDATE ledger_line SET debit = debit + 1",
    "DELETE FROM ledger_line",
    "UPDATE ledger_writeoff_memo SET approval_ref = 'x'",
    "DELETE FROM ledger_writeoff_memo",
])
def test_the_database_refuses_to_change_or_delete_posted_rows(engine, sessions, book, statement):
    pay(sessions, book, amount="100000")
    post(sessions, book, t.written_off("H1", D("1"), FEB, "w", "文书", "批准"), "w", "财务甲")
    with pytest.raises(DBAPIError) as err, engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert "只增不改" in str(err.value)
    assert entries(sessions) == 2


@pytest.mark.postgresql_only  # TRUNCATE and deferred constraint triggers exist on PostgreSQL only
def test_postgresql_refuses_truncate_and_an_unbalanced_entry_at_commit(engine, sessions, book):
    pay(sessions, book)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE ledger_line CASCADE")
    with pytest.raises(DBAPIError) as err, engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO ledger_entry (book_id, voucher_year, voucher_no, entry_date, period, summary, source_ref,"
            " idempotency_key, content_hash, posted_by, posted_at) VALUES (:b, 2026, 99, '2026-02-01', '2026-02',"
            " 'x', 'x', 'raw', 'x', 'x', now())"), {"b": book})
        entry_id = conn.scalar(text("SELECT id FROM ledger_entry WHERE idempotency_key = 'raw'"))
        account = conn.scalar(text("SELECT id FROM ledger_account WHERE book_id = :b AND role = 'advance'"), {"b": book})
        conn.execute(text("INSERT INTO ledger_line (entry_id, line_no, account_id, party, debit, credit)"
                          " VALUES (:e, 1, :a, 'H1', 100, 0)"), {"e": entry_id, "a": account})
    assert "借贷不平衡" in str(err.value)
    assert entries(sessions) == 1


def test_the_database_refuses_an_entry_dated_in_a_closed_period(engine, sessions, book):
    close_period(sessions, book, "2026-01", "财务乙")
    with pytest.raises(DBAPIError) as err, engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO ledger_entry (book_id, voucher_year, voucher_no, entry_date, period, summary, source_ref,"
            " idempotency_key, content_hash, posted_by, posted_at) VALUES (:b, 2026, 1, '2026-01-10', '2026-01',"
            " 'x', 'x', 'raw', 'x', 'x', '2026-01-10 00:00:00')"), {"b": book})
    assert "已结账" in str(err.value)


def test_verify_passes_on_sound_books_and_finds_a_breach_planted_past_the_guards(engine, sessions, book):
    pay(sessions, book, amount="100000")
    post(sessions, book, t.recovered_by_offset("H1", D("40000"), FEB, "s"), "off", "财务甲")
    with sessions() as s:
        assert verify(s) == []
    with engine.begin() as conn:
        guards.remove(conn)
        conn.exec_driver_sql("UPDATE ledger_line SET credit = 14000000 WHERE credit = 4000000")
    with sessions() as s:
        codes = {b.code for b in verify(s)}
    assert {"guard_missing", "entry_unbalanced", "sub_ledger_negative", "book_unbalanced"} <= codes


def test_the_statement_shows_opening_each_movement_and_closing(sessions, book):
    pay(sessions, book, amount="1000000", on=JAN)
    post(sessions, book, t.recovered_by_offset("H1", D("200000"), FEB, "s"), "off", "财务甲")
    pay(sessions, book, "H2", amount="5", on=FEB)
    post(sessions, book, t.recovered_by_refund("H1", D("100000"), MAR, "r"), "ref", "财务甲")
    with sessions() as s:
        st = reports.institution_statement(s, book, "H1", "2026-02", "2026-03")
    assert st.opening == D("1000000.00")
    assert [(m.voucher, m.debit, m.credit, m.balance) for m in st.movements] == [
        ("记-2026-0002", D("0.00"), D("200000.00"), D("800000.00")),
        ("记-2026-0004", D("0.00"), D("100000.00"), D("700000.00")),
    ]
    assert st.closing == D("700000.00")
    workbook = load_workbook(io.BytesIO(xlsx.account_detail_xlsx(st)))
    sheet = workbook.active
    assert sheet["A1"].value == "对账单"
    assert [c.value for c in sheet[sheet.max_row]][2:] == ["本期合计", None, 0, 300000, "借", 700000]


def test_the_memo_register_keeps_written_off_advances(sessions, book):
    pay(sessions, book, amount="100000")
    w = post(sessions, book, t.written_off("H1", D("30000"), FEB, "w", "（2026）苏0602执1号", "通政复〔2026〕3号"), "w", "u")
    with sessions() as s:
        rows = reports.writeoff_register(s, book)
    assert [(r.voucher, r.party, r.amount, r.court_document_ref, r.reversed_by) for r in rows] == [
        (w.voucher, "H1", D("30000.00"), "（2026）苏0602执1号", None)]
    assert load_workbook(io.BytesIO(xlsx.writeoff_register_xlsx("b", rows))).active["A1"].value == "核销预付金备查簿"


def test_the_trial_balance_exports_to_xlsx_with_totals(sessions, book):
    pay(sessions, book)
    with sessions() as s:
        tb = reports.trial_balance(s, book, "2026-01", "2026-12")
    sheet = load_workbook(io.BytesIO(xlsx.trial_balance_xlsx(tb))).active
    assert sheet["A3"].value == "科目代码"
    assert [c.value for c in sheet[sheet.max_row]][1:6] == ["合计", "平", 0, 1000000, 1000000]


def test_a_long_read_does_not_hold_up_a_posting(sessions, book):
    with sessions() as reader:
        assert reader.scalar(select(func.count()).select_from(JournalEntry)) == 0  # a read transaction is open
        pay(sessions, book)  # a writer neither waits for it nor fails
        assert entries(sessions) == 1


def test_21_many_entries_posted_at_once_read_back_as_one_by_one_and_keep_every_check(sessions, book):
    """post_many_in (a region's monthly settlement): gapless vouchers after the others, dates and UTC times
    as post_in stores them, a replay posts nothing, a changed entry under a used key and a recovery beyond
    what is held are refused, and nothing of a refused set is written."""
    from accounting.ledger import post_many_in

    post(sessions, book, t.advance_paid("H1", D("1000.00"), dt.date(2026, 1, 23), "pay"), "pay", "caiwu1")
    drafts = [(t.monthly_settlement(p, D("200.00") if p == "H1" else D("0.00"), dt.date(2026, 4, 10), f"s:{p}",
                                    released=D("300.00")), f"s:{p}") for p in ("H1", "H2", "H3")]
    with sessions.begin() as s:
        posted = post_many_in(s, book, drafts, "caiwu1")
    assert [p.voucher for p in posted] == ["记-2026-0002", "记-2026-0003", "记-2026-0004"]
    with sessions() as s:
        entry = s.get(JournalEntry, posted[0].entry_id)
        assert entry.entry_date == dt.date(2026, 4, 10) and entry.posted_at.tzinfo is not None
        assert abs((dt.datetime.now(dt.timezone.utc) - entry.posted_at).total_seconds()) < 120
        assert party_balance(s, book, Role.ADVANCE, "H1") == D("800.00")
    with sessions.begin() as s:
        assert all(p.replayed for p in post_many_in(s, book, drafts, "caiwu1"))
    changed = [(t.monthly_settlement("H2", D("0.00"), dt.date(2026, 4, 10), "s:H2", released=D("301.00")), "s:H2")]
    too_much = [(t.monthly_settlement("H1", D("900.00"), dt.date(2026, 4, 10), "s2:H1"), "s2:H1")]
    for bad, code in ((changed, "idempotency_conflict"), (too_much, "balance_insufficient")):
        with pytest.raises(LedgerError) as refused, sessions.begin() as s:
            post_many_in(s, book, bad, "caiwu1")
        assert refused.value.code == code
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == 4
        assert verify(s) == []


def test_21_a_row_edited_past_the_guards_breaks_the_hash_chain_at_that_entry(engine, sessions, book):
    """Tamper-evident: someone with database access drops the triggers and changes a posted summary and a
    line's party; verify names the first entry that no longer matches its link."""
    for n in range(1, 4):
        post(sessions, book, t.advance_paid(f"H{n}", D("1000.00"), dt.date(2026, 1, 23), f"pay-{n}"), f"pay-{n}",
             "caiwu1")
    with sessions() as s:
        assert verify(s) == []
        second = s.scalars(select(JournalEntry).order_by(JournalEntry.id)).all()[1]
    with engine.begin() as conn:
        guards.remove(conn)
        conn.execute(text("UPDATE ledger_line SET party = 'H9' WHERE entry_id = :e AND party = 'H2'"), {"e": second.id})
        guards.install(conn)
    with sessions() as s:
        broken = [b for b in verify(s) if b.code == "chain_broken"]
    assert len(broken) == 1 and second.voucher in broken[0].message


def test_21_the_chain_taken_up_after_a_verified_head_checks_only_the_links_after_it(engine, sessions, book):
    from accounting.verify import chain_heads

    def pay(n):
        post(sessions, book, t.advance_paid(f"H{n}", D("1000.00"), dt.date(2026, 1, 23), f"pay-{n}"), f"pay-{n}",
             "caiwu1")

    for n in (1, 2):
        pay(n)
    with sessions() as s:
        heads = chain_heads(s)
        assert heads[book][0] == 2 and verify(s, heads) == []
    pay(3)
    with sessions() as s:
        third = s.scalars(select(JournalEntry).order_by(JournalEntry.id.desc())).first()
        assert verify(s, heads) == []
    with engine.begin() as conn:
        guards.remove(conn)
        conn.execute(text("UPDATE ledger_entry SET summary = summary || '改' WHERE id = :e"), {"e": third.id})
        guards.install(conn)
    with sessions() as s:
        broken = [b for b in verify(s, heads) if b.code == "chain_broken"]
    assert len(broken) == 1 and third.voucher in broken[0].message


def test_21_entries_posted_before_the_chain_are_chained_by_the_migration(database_url, sessions, book):
    from alembic import command

    from prepay_admin.migrate import alembic_config, upgrade

    for n in range(1, 3):
        post(sessions, book, t.advance_paid(f"H{n}", D("500.00"), dt.date(2026, 1, 23), f"p-{n}"), f"p-{n}", "caiwu1")
    command.downgrade(alembic_config(url=database_url), "0009")
    upgrade(database_url)
    with sessions() as s:
        assert verify(s) == []
    post(sessions, book, t.advance_paid("H3", D("500.00"), dt.date(2026, 1, 24), "p-3"), "p-3", "caiwu1")
    with sessions() as s:
        assert verify(s) == []


def test_21_the_nightly_set_checks_read_only_what_was_posted_after_the_verified_heads(engine, sessions, book):
    """Issue 27: the nightly verify checks what changed since the last verified anchor. An entry planted
    unbalanced among the verified ones is left to the full check (Sundays and the 1st); one planted
    among the new ones is named, and a new recovery that takes an institution below zero is measured
    from where the verified entries left it."""
    from accounting.verify import chain_heads

    pay(sessions, book, amount="100000")
    with sessions() as s:
        heads = chain_heads(s)
    with engine.begin() as conn:
        guards.remove(conn)
        conn.exec_driver_sql("UPDATE ledger_line SET credit = 9900000 WHERE credit = 10000000")  # old: unbalanced
        guards.install(conn)
    with sessions() as s:
        assert {b.code for b in verify(s)} >= {"entry_unbalanced", "chain_broken"}
        assert [b.code for b in verify(s, heads)] == []  # not re-read: the full check's
    post(sessions, book, t.recovered_by_offset("H1", D("60000"), FEB, "s1"), "off-1", "财务甲")
    with engine.begin() as conn:
        guards.remove(conn)
        conn.exec_driver_sql("UPDATE ledger_line SET credit = 14000000 WHERE credit = 6000000")  # new: 140,000
        guards.install(conn)
    with sessions() as s:
        codes = [b.code for b in verify(s, heads)]
    # 100,000 held before the heads, 140,000 recovered after: below zero, unbalanced, its link broken
    assert {"entry_unbalanced", "sub_ledger_negative", "book_unbalanced", "chain_broken"} <= set(codes)
