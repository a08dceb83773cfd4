"""What an institution holds, per fund and qualification year: the advance position (RULES §5, §7).

The account balance of 暂付款—医保预付金 mixes the annual advances of different years, monthly
pre-settlements and amounts already owed back. Every step that needs "what the institution holds"
reads this position instead (the batch's top-up, the year end, a recovery trigger, a security's
renewal and the security check), and ``ledger verify`` proves that the positions add up to the account.

Per institution, fund and qualification year Y:

- ``paid``: the confirmed payment instructions of year Y's batches (15§(四));
- ``rolled_in``: what year Y's batch took over from the advance of Y − 1 (17§ 滚动结算, the part of the
  new advance that needed no payment);
- ``claimed``: what became owed back of year Y's advance (year end, trigger), as receivables;
- ``rolled_out``: what year Y + 1's batch took over from it;
- ``recovered``: what came back of the claims on it (offset, refund, write-off, transfer to a successor).

``in_force`` (advanced, not yet claimed or rolled on) and ``owed`` (claimed, not yet recovered) are
derived; the invariant of RULES §7 is that, per institution and fund, the account's balance equals the
sum of both over its years plus its open monthly pre-settlements.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Position:
    institution_id: int
    fund: str
    year: int
    paid: Decimal = ZERO
    rolled_in: Decimal = ZERO
    claimed: Decimal = ZERO
    rolled_out: Decimal = ZERO
    recovered: Decimal = ZERO
    owed_in: Decimal = ZERO  # taken over from another institution (20§(二)3), still owed by this one

    @property
    def advanced(self) -> Decimal:
        """Paid for the year or rolled over into it (RULES §4, §5)."""
        return self.paid + self.rolled_in

    @property
    def in_force(self) -> Decimal:
        """What the institution still holds of the year's advance: neither owed back nor rolled on."""
        return self.advanced - self.claimed - self.rolled_out

    @property
    def old_advance(self) -> Decimal:
        """17§ 多退少补: the year's advance still held, the part already rolled into the next year
        included (the year end compares it with the new amount, whichever of them runs first)."""
        return self.advanced - self.claimed

    @property
    def owed(self) -> Decimal:
        """Owed back of the year's advance and not yet recovered."""
        return self.claimed + self.owed_in - self.recovered

    @property
    def held(self) -> Decimal:
        """Its share of the 暂付款—医保预付金 balance."""
        return self.in_force + self.owed


def problems(positions: Iterable[Position]) -> list[str]:
    """What a position may never show: more claimed or rolled on than was advanced, more recovered
    than was owed (RULES §5: a year end claims its own year's advance, never the next one's)."""
    found = []
    for p in positions:
        if p.in_force < 0:
            found.append(f"{p.year} 年度预付金已收回或结转 {p.claimed + p.rolled_out:,.2f} 元，"
                         f"超过该年度预付 {p.advanced:,.2f} 元")
        if p.owed < 0:
            found.append(f"{p.year} 年度预付金收回 {p.recovered:,.2f} 元，超过应收回 {p.claimed + p.owed_in:,.2f} 元")
    return found
