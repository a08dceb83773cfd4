"""Recomputing the ledger's hash chain for ``ledger verify``: in one ordered stream, or cut into spans
recomputed side by side by other processes.

Each link is checked against the stored hash of the link before it, as posting made it: a link whose
content or predecessor changed no longer matches. So any span of a book's links can be recomputed on
its own once the one stored hash before it is read, and a province's book of millions of lines, or a
national database's hundreds of books, is recomputed by as many processes as the machine has cores.
The answer is the one a single ordered walk gives: for each book, the first link that does not match
(the earliest of its spans' first breaches), in book order, then every entry outside the chain.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, cast

from sqlalchemy import ColumnElement, Engine, and_, create_engine, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from .chain import GENESIS, EntryValues, link_values
from .collector import collector_paused
from .errors import Breach, LedgerError
from .models import ChainLink, JournalEntry, JournalLine, WriteOffMemo
from .schema import stored_fen

STREAM_ROWS = 20_000  # rows fetched at a time while the chain is recomputed
PARALLEL_FROM = 100_000  # links to recompute below which one stream is quicker than starting processes
WORKER = ("-m", "accounting.chain_verify")  # how a worker is started, after the running interpreter


@dataclass(frozen=True)
class Span:
    """The links of one book numbered above ``after`` (None: from the book's start, whatever their
    numbers) through ``through`` (None: to the end). ``previous`` is the stored hash of link ``after``
    where the caller knows it (a head verified before), None to read it."""
    book_id: int
    after: int | None
    through: int | None
    previous: str | None


@dataclass(frozen=True)
class Found:
    """A span's first breach, at the link number a single walk would name."""
    book_id: int
    seq: int
    breach: Breach


def voucher(year: int, no: int) -> str:
    return f"记-{year}-{no:04d}"


@contextmanager
def chain_check(session: Session, books: dict[int, str], since: dict[int, tuple[int, str]] | None = None,
                jobs: int = 1) -> Iterator["ChainCheck"]:
    """Start recomputing every book's chain (from its start, or after the head ``since`` names); with
    ``jobs`` above one and a chain long enough, in that many other processes while the caller runs its
    other checks. ``breaches()`` gives the answer.

    The workers are ``python -m accounting.chain_verify`` processes told their spans on standard input
    (the database's address with them, never on a command line): nothing of the caller is re-imported or
    inherited, so it works the same from the console command, the scheduler's threads or a test."""
    since = since or {}
    groups = _groups(session, since, jobs)
    if not groups:
        yield ChainCheck(session, books, since, [])
        return
    # the application's sessions are bound to an Engine (a Connection has no url)
    url = cast(Engine, session.get_bind()).url.render_as_string(hide_password=False)
    workers: list[tuple[subprocess.Popen[str], IO[bytes]]] = []
    try:
        for spans in groups:
            said: IO[bytes] = tempfile.TemporaryFile()
            worker = subprocess.Popen([sys.executable, *WORKER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=said, text=True)
            assert worker.stdin is not None  # stdin=PIPE
            worker.stdin.write(json.dumps({"url": url, "books": list(books.items()),
                                           "spans": [dataclasses.astuple(span) for span in spans]}))
            worker.stdin.close()
            workers.append((worker, said))
        yield ChainCheck(session, books, since, workers)
    finally:
        for worker, said in workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            said.close()


class ChainCheck:
    def __init__(self, session: Session, books: dict[int, str], since: dict[int, tuple[int, str]],
                 workers: list[tuple[subprocess.Popen[str], IO[bytes]]]) -> None:
        self._session, self._books, self._since, self._workers = session, books, since, workers

    def breaches(self) -> list[Breach]:
        if self._workers:
            first: dict[int, Found] = {}
            for found in (f for worker, said in self._workers for f in _answer(worker, said)):
                if found.book_id not in first or found.seq < first[found.book_id].seq:
                    first[found.book_id] = found
            broken = [first[book].breach for book in sorted(first)]
        else:
            broken = [f.breach for f in _walk(self._session.connection(), self._books, _after(self._since),
                                              lambda book: self._since.get(book, (0, GENESIS)))]
        return broken + list(_outside_chain(self._session, self._books))


def _answer(worker: subprocess.Popen[str], said: IO[bytes]) -> list[Found]:
    """A worker's findings, once it has ended (what it says on standard error went to a file: a long
    traceback cannot fill a pipe and stall it). A check that could not be made is refused, never
    taken for a sound book."""
    assert worker.stdout is not None  # stdout=PIPE
    out = worker.stdout.read()
    if worker.wait() != 0:
        said.seek(0)
        last = (said.read().decode(errors="replace").strip().splitlines() or ["（无输出）"])[-1]
        raise LedgerError("chain_check_failed", f"哈希链校验进程异常退出（{worker.returncode}）：{last[:500]}；"
                                                "本次校验未完成（可用 --jobs 1 在本进程内校验）", "jobs")
    return [Found(book_id, seq, Breach(code, message)) for book_id, seq, code, message in json.loads(out)]


def _after(since: dict[int, tuple[int, str]]) -> ColumnElement[bool]:
    """The links not verified before: every link of a book ``since`` does not name, the later ones of those it does."""
    c = ChainLink
    return or_(c.book_id.not_in(list(since)), *(and_(c.book_id == b, c.seq > seq) for b, (seq, _) in since.items()))


def _groups(session: Session, since: dict[int, tuple[int, str]], jobs: int) -> list[list[Span]]:
    """The spans each of ``jobs`` processes recomputes: each book cut into spans of about a ``jobs``-th of
    all the links, dealt longest first to the least loaded process. Empty (one stream is the better way)
    for one process, a short chain, or a database no other process can open."""
    url = cast(Engine, session.get_bind()).url  # an Engine, as in chain_check
    if jobs <= 1 or url.get_backend_name() not in ("sqlite", "postgresql") or url.database in (None, "", ":memory:"):
        return []
    c = ChainLink
    counts = session.execute(select(c.book_id, func.count(), func.max(c.seq)).where(_after(since))
                             .group_by(c.book_id).order_by(c.book_id)).all()
    total = sum(n for _, n, _ in counts)
    if total < PARALLEL_FROM:
        return []
    size = -(-total // jobs)
    spans = []
    for book, n, top in counts:
        start, head = since.get(book, (None, GENESIS))
        low = start or 0
        pieces = max(1, -(-n // size))
        cuts = [low + (top - low) * i // pieces for i in range(pieces + 1)]
        spans += [(cuts[i + 1] - cuts[i], Span(book, start if i == 0 else cuts[i], cuts[i + 1],
                                               head if i == 0 else None)) for i in range(pieces)]
    groups: list[list[Span]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for length, span in sorted(spans, key=lambda s: -s[0]):
        least = loads.index(min(loads))
        groups[least].append(span)
        loads[least] += length
    return [g for g in groups if g]


@collector_paused()
def _serve() -> None:
    """A worker: read the database and the spans from standard input, write each span's first breaches."""
    request = json.load(sys.stdin)
    books = {book_id: name for book_id, name in request["books"]}
    engine = create_engine(request["url"], poolclass=NullPool)
    try:
        found = [f for span in request["spans"] for f in _walk_span(engine, books, Span(*span))]
    finally:
        engine.dispose()
    json.dump([[f.book_id, f.seq, f.breach.code, f.breach.message] for f in found], sys.stdout, ensure_ascii=False)


def _walk_span(engine: Engine, books: dict[int, str], span: Span) -> list[Found]:
    """Recompute one span on a connection of its own."""
    c = ChainLink
    with engine.connect() as connection:
        previous = span.previous
        if previous is None:
            previous = connection.scalar(select(c.hash).where(c.book_id == span.book_id, c.seq == span.after))
            if previous is None:  # the link the span starts after is gone: a single walk names it there
                assert span.after is not None  # a span without its previous hash starts after a numbered link
                return [Found(span.book_id, span.after, _missing(books[span.book_id], span.after))]
        where = [c.book_id == span.book_id]
        if span.after is not None:
            where.append(c.seq > span.after)
        if span.through is not None:
            where.append(c.seq <= span.through)
        return _walk(connection, books, and_(*where), lambda book: (span.after or 0, previous))


def _walk(connection: Connection, books: dict[int, str], where: ColumnElement[bool],
          start: Callable[[int], tuple[int, str]]) -> list[Found]:
    """Recompute the links ``where`` selects, each book taken up at ``start(book)`` (the number of the link
    before and its stored hash); the first breach of each book.

    Two streams of plain rows (Core, amounts as the fen stored), both in chain order: the links with
    their entries and memos, and the lines. Each entry's lines are taken from the second as its link
    comes from the first, so nothing of the book is held in memory but the entry at hand, and no
    entry's columns are read (and converted) once per line."""
    e, l, c, m = JournalEntry, JournalLine, ChainLink, WriteOffMemo
    stream = connection.execution_options(yield_per=STREAM_ROWS)
    links = stream.execute(
        select(c.book_id, c.seq, c.hash, c.entry_id, e.id, e.book_id, e.voucher_year, e.voucher_no, e.entry_date,
               e.period, e.summary, e.source_ref, e.idempotency_key, e.reverses_id, e.posted_by, e.posted_at,
               m.party, m.amount, m.court_document_ref, m.approval_ref)
        .outerjoin(e, e.id == c.entry_id).outerjoin(m, m.entry_id == e.id)
        .where(where).order_by(c.book_id, c.seq))
    lines = iter(stream.execute(
        select(l.entry_id, l.line_no, l.account_id, l.party, stored_fen(l.debit), stored_fen(l.credit))
        .join(c, c.entry_id == l.entry_id).where(where).order_by(c.book_id, c.seq, l.line_no)))
    line = next(lines, None)
    book: int | None = None
    previous, expected = GENESIS, 0
    broken: set[int] = set()
    found: list[Found] = []
    for head in links:
        entry_id = head[3]
        own: list[list[Any]] = []
        while line is not None and line[0] == entry_id:
            own.append([line[1], line[2], line[3], line[4], line[5]])
            line = next(lines, None)
        book_id, seq, stored = head[0], head[1], head[2]
        if book_id != book:
            book = book_id
            expected, previous = start(book_id)
        expected += 1
        if book_id in broken:
            continue
        if head[4] is None or seq != expected:
            found.append(Found(book_id, expected, _missing(books[book_id], expected)))
            broken.add(book_id)
            continue
        memo = None if head[16] is None else (head[16], f"{head[17]:.2f}", head[18], head[19])
        if link_values(previous, *cast(EntryValues, head[5:16]), own, memo) != stored:
            found.append(Found(book_id, seq, Breach(
                "chain_broken", f"{books[book_id]} {voucher(head[6], head[7])} 与哈希链不符：凭证或其分录在记账后被改动")))
            broken.add(book_id)
            continue
        previous = stored
    return found


def _missing(book: str, seq: int) -> Breach:
    return Breach("chain_broken", f"{book} 哈希链第 {seq} 环对应的凭证缺失或顺序被改动")


def _outside_chain(session: Session, books: dict[int, str]) -> Iterator[Breach]:
    e, c = JournalEntry, ChainLink
    for book_id, year, no in session.execute(
            select(e.book_id, e.voucher_year, e.voucher_no).outerjoin(c, c.entry_id == e.id)
            .where(c.entry_id.is_(None)).order_by(e.book_id, e.voucher_year, e.voucher_no)):
        yield Breach("entry_not_chained", f"{books[book_id]} {voucher(year, no)} 不在哈希链中")


if __name__ == "__main__":
    _serve()
