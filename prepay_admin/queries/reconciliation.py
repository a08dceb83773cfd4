"""Reconciliation (RULES §7): each institution's 暂付款—医保预付金 sub-ledger against the business records
that should have produced it.

Every voucher that moves the advance account is explained by the records that point at it: a
confirmed payment instruction or a paid pre-settlement (+ the amount), a settlement line (− what it
withheld), a refund or a write-off (− the amount), a transfer to a successor (− the institution, + the
successor), and a reversal (the mirror of what its original was explained by). The check is one
statement: the ledger's movements per voucher and institution, less the records' expected movements,
kept where they do not cancel. A voucher no record explains, a record whose voucher moved another
amount, and a record paid twice all show up, with the vouchers that make each institution's difference.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import exists, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from accounting.chart import HELD_ROLES
from accounting.errors import Breach
from accounting.models import Book, JournalEntry, JournalLine, LedgerAccount
from accounting.schema import stored_fen

from ..models import Institution, PaymentInstruction, PreSettlement, Receivable, RecoveryMovement, SettlementLine
from ..policy.money import fmt_yuan_cn

NAMED_VOUCHERS = 5  # vouchers named per institution; the count says how many more


def _expected():
    """(voucher, institution, fen) that the business records say each voucher moved the advance by."""
    pi, ps, sl, rm, rv = PaymentInstruction, PreSettlement, SettlementLine, RecoveryMovement, Receivable
    successor, successor_inst = aliased(Receivable), aliased(Institution)
    return union_all(
        # 16§: a confirmed payment instruction paid the advance out
        select(pi.ledger_entry_id.label("entry_id"), pi.institution_code.label("party"), stored_fen(pi.amount).label("fen"))
        .where(pi.ledger_entry_id.is_not(None)),
        # 26§: a paid pre-settlement is an advance on the month's settlement
        select(ps.ledger_entry_id, Institution.code, stored_fen(ps.amount))
        .join(Institution, Institution.id == ps.institution_id).where(ps.ledger_entry_id.is_not(None)),
        # 20§(二)2: a settlement line withholds what is owed back
        select(sl.ledger_entry_id, sl.institution_code, -stored_fen(sl.withheld)),
        # 20§(二)1, 6: a refund or a write-off clears the institution's sub-ledger
        select(rm.ledger_entry_id, Institution.code, -stored_fen(rm.amount))
        .join(rv, rv.id == rm.receivable_id).join(Institution, Institution.id == rv.institution_id)
        .where(rm.kind.in_(("refund", "write_off", "transfer")), rm.ledger_entry_id.is_not(None)),
        # RULES §6: money held back applied to the debt outside a settlement run (before a succession)
        select(rm.ledger_entry_id, Institution.code, -stored_fen(rm.amount))
        .join(rv, rv.id == rm.receivable_id).join(Institution, Institution.id == rv.institution_id)
        .where(rm.kind == "offset", rm.settlement_line_id.is_(None), rm.ledger_entry_id.is_not(None)),
        # 20§(二)3: the successor takes over what the institution held
        select(rm.ledger_entry_id, successor_inst.code, stored_fen(rm.amount))
        .join(successor, successor.transferred_from_id == rm.receivable_id)
        .join(successor_inst, successor_inst.id == successor.institution_id)
        .where(rm.kind == "transfer", rm.ledger_entry_id.is_not(None)),
    ).cte("expected")


def unreconciled(session: Session) -> list[Breach]:
    """One breach per institution and fund book whose sub-ledger differs from its records."""
    e, l, a, moved = JournalEntry, JournalLine, LedgerAccount, aliased(JournalEntry)
    expected = _expected()
    movements = union_all(
        # a reversal counts against the voucher it reverses: a voucher posted in error and reversed nets to nothing
        select(func.coalesce(moved.reverses_id, moved.id).label("entry_id"), l.party.label("party"),
               (stored_fen(l.debit) - stored_fen(l.credit)).label("fen"))
        .join(moved, moved.id == l.entry_id).join(a, a.id == l.account_id).where(a.role.in_(HELD_ROLES)),
        select(expected.c.entry_id, expected.c.party, -expected.c.fen),
    ).subquery()
    difference = func.sum(movements.c.fen)
    explained = exists().where(expected.c.entry_id == e.id)
    rows = session.execute(
        select(Book.name, e.voucher_year, e.voucher_no, movements.c.party, difference, explained)
        .join(e, e.id == movements.c.entry_id).join(Book, Book.id == e.book_id)
        .group_by(Book.name, e.id, e.voucher_year, e.voucher_no, movements.c.party)
        .having(difference != literal(0))
        .order_by(Book.name, movements.c.party, e.voucher_year, e.voucher_no)).all()
    per_party: dict[tuple[str, str], list[tuple[str, int, bool]]] = defaultdict(list)
    for book, year, no, party, fen, is_explained in rows:
        per_party[(book, party or "（无机构）")].append((f"记-{year}-{no:04d}", int(fen), bool(is_explained)))
    breaches = []
    for (book, party), vouchers in per_party.items():
        total = Decimal(sum(fen for _, fen, _ in vouchers)).scaleb(-2)
        named = "、".join(f"{v}{'（无业务记录）' if not ok else ''} {_signed(fen)}"
                         for v, fen, ok in vouchers[:NAMED_VOUCHERS])
        more = f" 等 {len(vouchers)} 张凭证" if len(vouchers) > NAMED_VOUCHERS else ""
        gap = (f"比业务记录{'多' if total > 0 else '少'} {fmt_yuan_cn(abs(total))} 元" if total
               else "与业务记录逐笔不符（合计相抵）")
        breaches.append(Breach("sub_ledger_unreconciled", f"{book} {party} 的暂付款—医保预付金子账{gap}：{named}{more}"))
    return breaches


def _signed(fen: int) -> str:
    amount = Decimal(fen).scaleb(-2)
    return f"{'+' if amount > 0 else '−'}{fmt_yuan_cn(abs(amount))}"
