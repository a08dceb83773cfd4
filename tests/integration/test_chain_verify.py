"""21§ tamper evidence at scale: the hash chain recomputed by several processes, span by span, names
exactly what one ordered walk names, on each database."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select, text

from accounting import chain_verify, guards
from accounting import templates as t
from accounting.errors import LedgerError
from accounting.ledger import post_many_in
from accounting.models import Book, ChainLink, JournalEntry
from accounting.verify import chain_heads, verify
from prepay_admin.policy.facts import Fund
from tests.ledger_helpers import open_book

pytestmark = pytest.mark.slow  # left out of make test-fast

ON = dt.date(2026, 1, 25)
ENTRIES = 12  # per book
JOBS = 6  # a sixth of the 24 links each: every book's chain is cut after its links 4 and 8


@pytest.fixture
def books(sessions):
    """Two books of twelve chained vouchers each, and every chain long enough to be cut into spans."""
    ids = [open_book(sessions), open_book(sessions, fund=Fund.RESIDENT)]
    for book in ids:
        with sessions.begin() as s:
            post_many_in(s, book, [(t.advance_paid(f"H{n}", D("1000.00"), ON, f"pay:{n}"), f"{book}:{n}")
                                   for n in range(1, ENTRIES + 1)], "财务甲")
    return ids


@pytest.fixture
def in_spans(monkeypatch):
    monkeypatch.setattr(chain_verify, "PARALLEL_FROM", 0)


def chain_findings(sessions, jobs, since=None):
    with sessions() as s:
        return [b for b in verify(s, since, jobs=jobs) if b.code in ("chain_broken", "entry_not_chained")]


def tamper(engine, statement, **params):
    with engine.begin() as conn:
        guards.remove(conn)
        conn.execute(text(statement), params)
        guards.install(conn)


def link_entry(sessions, book, seq):
    with sessions() as s:
        return s.scalar(select(ChainLink.entry_id).where(ChainLink.book_id == book, ChainLink.seq == seq))


def test_21_sound_books_pass_when_their_chains_are_recomputed_in_spans_by_several_processes(sessions, books,
                                                                                             in_spans):
    with sessions() as s:
        spans = {(span.book_id, span.after, span.through) for g in chain_verify._groups(s, {}, JOBS) for span in g}
        assert spans == {(b, after, through) for b in books for after, through in ((None, 4), (4, 8), (8, 12))}
        assert verify(s, jobs=JOBS) == []


@pytest.mark.parametrize("seq, statement", [
    (10, "UPDATE ledger_entry SET summary = summary || '改' WHERE id = :entry"),  # inside the last span
    (5, "UPDATE ledger_line SET party = 'H99' WHERE entry_id = :entry AND party IS NOT NULL"),  # a span's first
    (4, "DELETE FROM ledger_chain WHERE entry_id = :entry"),  # the link a span is taken up after
    (5, "DELETE FROM ledger_chain WHERE entry_id = :entry"),  # the first link of a span
    (4, "UPDATE ledger_chain SET hash = '" + "f" * 64 + "' WHERE entry_id = :entry"),  # a stored hash a span trusts
], ids=["summary", "party", "link-before-span", "span-first-link", "trusted-hash"])
def test_21_spans_name_the_first_broken_link_of_each_book_as_one_walk_does(engine, sessions, books, in_spans, seq,
                                                                             statement):
    tampered, sound = books
    tamper(engine, statement, entry=link_entry(sessions, tampered, seq))
    one_walk = chain_findings(sessions, 1)
    assert len([b for b in one_walk if b.code == "chain_broken"]) == 1  # the other book is sound
    assert chain_findings(sessions, JOBS) == one_walk


def test_21_spans_after_a_verified_head_check_only_the_later_links(engine, sessions, books, in_spans):
    tampered, _ = books
    with sessions() as s:
        heads = chain_heads(s)
    with sessions.begin() as s:  # twelve more vouchers in the first book, after its verified head
        post_many_in(s, tampered, [(t.advance_paid(f"G{n}", D("10.00"), ON, f"more:{n}"), f"more:{n}")
                                   for n in range(1, ENTRIES + 1)], "财务甲")
    assert chain_findings(sessions, JOBS, heads) == []
    tamper(engine, "UPDATE ledger_entry SET summary = summary || '改' WHERE id = :entry",
           entry=link_entry(sessions, tampered, ENTRIES + 7))
    with sessions() as s:
        voucher = s.scalar(select(JournalEntry).where(JournalEntry.id == link_entry(sessions, tampered, ENTRIES + 7))).voucher
    found = chain_findings(sessions, JOBS, heads)
    assert found == chain_findings(sessions, 1, heads) and len(found) == 1 and voucher in found[0].message


def test_21_a_worker_that_cannot_reach_the_database_fails_the_check_loudly(sessions, books, in_spans, monkeypatch):
    """A check that could not be made is never reported as a sound book."""
    monkeypatch.setattr(chain_verify, "WORKER", ("-c", "import sys; sys.exit('连接失败')"))
    with sessions() as s, pytest.raises(LedgerError, match="连接失败") as refused:
        verify(s, jobs=2)
    assert refused.value.code == "chain_check_failed" and refused.value.field == "jobs"


def test_21_a_short_chain_is_walked_in_this_process(sessions, books):
    with sessions() as s:
        assert chain_verify._groups(s, {}, jobs=4) == []  # 24 links: starting processes would cost more
        assert len(s.scalars(select(Book)).all()) == 2
