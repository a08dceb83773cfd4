"""Random sequences of ledger operations; after every step the books must still be sound.

A model tracks what each institution should hold; each operation is predicted
to succeed or be refused, and a refused one must leave no trace.
"""
import datetime as dt
from collections import defaultdict
from decimal import Decimal as D

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from accounting import reports
from accounting import templates as t
from accounting.chart import Role
from accounting.errors import LedgerError
from accounting.ledger import close_period, post, reopen_period, reverse
from accounting.models import JournalEntry
from accounting.verify import verify
from prepay_admin.db import make_engine, make_session_factory
from tests.ledger_helpers import open_book

PARTIES = st.sampled_from(["H1", "H2", "H3"])
AMOUNTS = st.decimals(min_value=D("0.01"), max_value=D("3000000"), places=2)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, backend):
        super().__init__()
        self.backend = backend
        self.url = backend.fresh_url()
        self.engine = make_engine(self.url)
        self.sessions = make_session_factory(self.engine)
        self.book = open_book(self.sessions)
        self.today = dt.date(2026, 1, 15)
        self.held: dict[str, D] = defaultdict(D)  # the model: what each institution holds
        self.entries = 0
        self.closures: list[str] = []
        self.reversible: list[tuple[int, str, D]] = []  # (entry id, party, change to its balance)
        self.last: tuple | None = None
        self.n = 0

    def teardown(self):
        self.engine.dispose()
        self.backend.drop(self.url)

    # -- helpers --
    @property
    def period(self) -> str:
        return f"{self.today:%Y-%m}"

    def _open(self) -> bool:
        return not self.closures or self.period > self.closures[-1]

    def _post(self, draft, party, change):
        self.n += 1
        key = f"k{self.n}"
        expected_ok = self._open() and self.held[party] + change >= 0
        try:
            posted = post(self.sessions, self.book, draft, key, "测试")
        except LedgerError as err:
            assert not expected_ok, err
            assert err.code in ("period_closed", "balance_insufficient")
            return
        assert expected_ok
        self.held[party] += change
        self.entries += 1
        self.reversible.append((posted.entry_id, party, change))
        self.last = (draft, key, posted.entry_id)

    # -- operations --
    @rule(party=PARTIES, amount=AMOUNTS)
    def pay_or_top_up(self, party, amount):
        self._post(t.advance_paid(party, amount, self.today, "pay"), party, amount)

    @rule(party=PARTIES, amount=AMOUNTS)
    def recover_by_offset(self, party, amount):
        self._post(t.recovered_by_offset(party, amount, self.today, "offset"), party, -amount)

    @rule(party=PARTIES, amount=AMOUNTS)
    def recover_by_refund(self, party, amount):
        self._post(t.recovered_by_refund(party, amount, self.today, "refund"), party, -amount)

    @rule(party=PARTIES, amount=AMOUNTS)
    def write_off(self, party, amount):
        self._post(t.written_off(party, amount, self.today, "wo", "法律文书", "批准文号"), party, -amount)

    @precondition(lambda self: self.reversible)
    @rule(data=st.data())
    def reverse_an_entry(self, data):
        entry_id, party, change = data.draw(st.sampled_from(self.reversible))
        self.n += 1
        expected_ok = self._open() and self.held[party] - change >= 0
        try:
            reverse(self.sessions, entry_id, self.today, f"k{self.n}", "测试", "更正")
        except LedgerError as err:
            assert not expected_ok, err
            return
        assert expected_ok
        self.reversible.remove((entry_id, party, change))
        self.held[party] -= change
        self.entries += 1

    @precondition(lambda self: self.last is not None)
    @rule()
    def retry_the_last_posting(self):
        draft, key, entry_id = self.last
        again = post(self.sessions, self.book, draft, key, "测试")
        assert again.replayed and again.entry_id == entry_id

    @rule(days=st.integers(1, 45))
    def time_passes(self, days):
        self.today += dt.timedelta(days=days)

    @precondition(lambda self: self._open())
    @rule()
    def close_this_period(self):
        close_period(self.sessions, self.book, self.period, "测试")
        self.closures.append(self.period)

    @precondition(lambda self: self.closures)
    @rule()
    def reopen_the_latest_closure(self):
        reopen_period(self.sessions, self.book, "测试", "补记")
        self.closures.pop()

    # -- what must always hold --
    @invariant()
    def books_are_sound(self):
        with self.sessions() as s:
            tb = reports.trial_balance(s, self.book, "2000-01", "2099-12")
            assert tb.balanced
            advance = next(r for r in tb.rows if r.code == "110101")
            balances = reports.party_balances(s, self.book, Role.ADVANCE)
            assert advance.closing == sum(balances.values(), D(0)) == sum(self.held.values(), D(0))
            assert balances == {p: b for p, b in self.held.items() if b != 0}
            assert all(b >= 0 for b in balances.values())
            assert s.scalar(select(func.count()).select_from(JournalEntry)) == self.entries
            assert verify(s) == []


def test_random_ledger_operations_keep_the_books_sound(backend):
    examples = 40 if backend.name == "sqlite" else 12
    run_state_machine_as_test(
        lambda: LedgerMachine(backend),
        settings=settings(max_examples=examples, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
