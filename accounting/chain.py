"""The ledger's hash chain: each posted entry is linked to the one before it in its book.

An entry's link is the SHA-256 of the previous link and of everything the entry says — book, voucher
number, dates, summary, source, key, who and when, the reversed entry, every line (account, party,
amounts in fen) and the write-off memo. ``ledger verify`` recomputes the chain from the rows as they
are, so a row edited with the guards dropped breaks the chain at that entry. Pure: the ledger hands it
plain values.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from hashlib import sha256
from typing import Any

GENESIS = "0" * 64

# what ``link_values`` hashes of an entry after the previous link, in its order: the entry's own columns
# (book_id … posted_at), then its lines and its write-off memo
EntryValues = tuple[int, int, int, dt.date, str, str, str, str, int | None, str, dt.datetime]
LinkValues = tuple[int, int, int, dt.date, str, str, str, str, int | None, str, dt.datetime,
                   list[list[Any]], tuple[str, str, str, str] | None]


@dataclass(frozen=True)
class ChainedLine:
    line_no: int
    account_id: int
    party: str | None
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class ChainedEntry:
    book_id: int
    voucher_year: int
    voucher_no: int
    entry_date: dt.date
    period: str
    summary: str
    source_ref: str
    idempotency_key: str
    reverses_id: int | None
    posted_by: str
    posted_at: dt.datetime
    lines: tuple[ChainedLine, ...]
    memo: tuple[str, str, str, str] | None = None  # party, amount, court document, approval


def fen(amount: Decimal) -> int:
    """An amount of yuan with at most two decimals as the integer fen the ledger stores and hashes."""
    return int(amount * 100)


def link(previous: str, entry: ChainedEntry) -> str:
    """The link of ``entry`` after ``previous`` (``GENESIS`` for a book's first entry)."""
    lines = [[l.line_no, l.account_id, l.party, fen(l.debit), fen(l.credit)]
             for l in sorted(entry.lines, key=lambda l: l.line_no)]
    return link_values(previous, entry.book_id, entry.voucher_year, entry.voucher_no, entry.entry_date,
                       entry.period, entry.summary, entry.source_ref, entry.idempotency_key, entry.reverses_id,
                       entry.posted_by, entry.posted_at, lines, entry.memo)


def link_values(previous: str, book_id: int, voucher_year: int, voucher_no: int, entry_date: dt.date,
                period: str, summary: str, source_ref: str, idempotency_key: str, reverses_id: int | None,
                posted_by: str, posted_at: dt.datetime, lines: list[list[Any]],
                memo: tuple[str, str, str, str] | None) -> str:
    """``link`` over plain values: ``lines`` are ``[line_no, account_id, party, debit fen, credit fen]`` in
    line order. ``ledger verify`` streams a province's book through this, so it builds no objects."""
    body = [book_id, voucher_year, voucher_no, entry_date.isoformat(), period, summary, source_ref,
            idempotency_key, reverses_id, posted_by,
            _utc_text(posted_at), lines, list(memo) if memo else None]
    return sha256((previous + _dumps(body)).encode()).hexdigest()


@lru_cache(maxsize=1024)
def _utc_text(posted_at: dt.datetime) -> str:
    """A posting time as the chain writes it; the entries of one bulk posting share theirs, so a book's
    walk formats each time once."""
    return posted_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_dumps = json.JSONEncoder(ensure_ascii=False).encode
