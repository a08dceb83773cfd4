"""Opening a book for ledger tests, with the Nantong chart."""
from __future__ import annotations

from accounting.ledger import open_book_in
from prepay_admin.policy.facts import Fund
from prepay_admin.profiles import load_profile
from prepay_admin.services.books import chart_of

CHART = chart_of(load_profile("nantong-2025"))


def open_book(sessions, fiscal_special_allowed: bool = True, fund: Fund = Fund.EMPLOYEE) -> int:
    with sessions.begin() as s:
        return open_book_in(s, "320600", fund, f"测试账套（{fund.value}）", CHART, fiscal_special_allowed).id


def vouchers(session, key_prefix: str) -> int:
    """How many vouchers were posted under keys starting with ``key_prefix`` (``payment-instruction:``:
    the payments; RULES §7, turn 3, funds each from the special account in a voucher of its own)."""
    from sqlalchemy import func, select

    from accounting.models import JournalEntry

    return session.scalar(select(func.count()).select_from(JournalEntry)
                          .where(JournalEntry.idempotency_key.like(f"{key_prefix}%")))
