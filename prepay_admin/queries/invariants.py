"""Every money invariant at once, as the simulation checks it after each committed step.

What the nightly audit checks (``ledger.audit``: the ledger balanced and chained, each sub-ledger
reconciled with its records, nobody above its security) and what a fault could break besides: no
advance paid twice (one paid instruction per determination and fund, one voucher per paid
instruction), and each fund's receivables covered by the ledger's 暂付款—医保预付金 (RULES §5, §7).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from accounting.verify import verify

from ..models import BatchItem, PaymentInstruction, Region
from ..policy.transitions import PaymentState
from .positions import return_path_breaches
from .receivables import ties
from .reconciliation import unreconciled
from .security_cover import uncovered_advances


def broken(sessions: sessionmaker, cover_on: dt.date | None,
           chain_since: dict[int, tuple[int, str]] | None = None) -> list[str]:
    """What does not hold, one line each; empty when every invariant holds. The security cover is
    checked on ``cover_on``; ``None`` while a year's list turns over (last year's advances wait for
    the year end, past their securities). With ``chain_since`` the hash chain is checked after the
    heads verified before (``accounting.verify.chain_heads``), every other invariant over everything."""
    pi, item = PaymentInstruction, BatchItem
    with sessions() as session:
        breaches = verify(session, chain_since) + unreconciled(session) + return_path_breaches(session)
        if cover_on is not None:
            breaches += uncovered_advances(session, cover_on)
        found = [f"[{b.code}] {b.message}" for b in breaches]
        twice = session.execute(
            select(item.institution_code, item.fund, func.count(pi.id))
            .join(pi, pi.batch_item_id == item.id).where(pi.state == PaymentState.PAID)
            .group_by(item.determination_id, item.institution_code, item.fund).having(func.count(pi.id) > 1)).all()
        found += [f"[paid_twice] {code} {fund} 的预付金拨付了 {n} 次" for code, fund, n in twice]
        shared = session.execute(
            select(pi.ledger_entry_id, func.count(pi.id)).where(pi.ledger_entry_id.is_not(None))
            .group_by(pi.ledger_entry_id).having(func.count(pi.id) > 1)).all()
        found += [f"[voucher_shared] 凭证 {entry} 确认了 {n} 笔拨付指令" for entry, n in shared]
        for region_id, code in session.execute(select(Region.id, Region.code).order_by(Region.code)):
            for tie in ties(session, region_id, code):
                if tie.over_claimed or tie.owed > tie.advance_balance:
                    found.append(f"[receivables_untied] {code} {tie.fund}：应收回 {tie.owed} 元，"
                                 f"暂付款余额 {tie.advance_balance} 元，{tie.over_claimed} 家机构欠款超过其余额")
    return found
