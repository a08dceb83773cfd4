"""The ledger's hash chain (``accounting/chain.py``): one link per entry, append-only; entries posted before
this revision are chained here, in the order they were posted.

Revision ID: 0010
Revises: 0009
"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from accounting import guards
from accounting.chain import GENESIS, ChainedEntry, ChainedLine, link
from accounting.models import JournalEntry, JournalLine, WriteOffMemo

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_chain",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["book_id"], ["ledger_book.id"], name=op.f("fk_ledger_chain_book_id_ledger_book")),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entry.id"], name=op.f("fk_ledger_chain_entry_id_ledger_entry")),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_ledger_chain")),
        sa.UniqueConstraint("book_id", "seq", name=op.f("uq_ledger_chain_book_id_seq")),
    )
    _chain_what_was_posted(op.get_bind())
    guards.guard_table(op.get_bind(), "ledger_chain")


def _chain_what_was_posted(conn) -> None:
    entries, lines = JournalEntry.__table__, JournalLine.__table__
    by_entry = defaultdict(list)
    for l in conn.execute(sa.select(lines).order_by(lines.c.entry_id, lines.c.line_no)):
        by_entry[l.entry_id].append(ChainedLine(l.line_no, l.account_id, l.party, l.debit, l.credit))
    memos = {m.entry_id: (m.party, f"{m.amount:.2f}", m.court_document_ref, m.approval_ref)
             for m in conn.execute(sa.select(WriteOffMemo.__table__))}
    heads, rows = {}, []
    for e in conn.execute(sa.select(entries).order_by(entries.c.book_id, entries.c.id)):
        seq, previous = heads.get(e.book_id, (0, GENESIS))
        previous = link(previous, ChainedEntry(
            e.book_id, e.voucher_year, e.voucher_no, e.entry_date, e.period, e.summary, e.source_ref,
            e.idempotency_key, e.reverses_id, e.posted_by, e.posted_at, tuple(by_entry[e.id]), memos.get(e.id)))
        heads[e.book_id] = (seq + 1, previous)
        rows.append({"entry_id": e.id, "book_id": e.book_id, "seq": seq + 1, "hash": previous})
    if rows:
        conn.execute(sa.table("ledger_chain", sa.column("entry_id"), sa.column("book_id"), sa.column("seq"),
                              sa.column("hash")).insert(), rows)


def downgrade() -> None:
    guards.unguard_table(op.get_bind(), "ledger_chain")
    op.drop_table("ledger_chain")
