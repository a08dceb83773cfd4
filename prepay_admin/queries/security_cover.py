"""13§: no institution holds more advance than the one security valid for it, both funds together."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounting.errors import Breach

from .. import clock
from ..models import Institution, Region
from ..policy.amount import security_cap
from ..policy.money import fmt_yuan_cn
from ..services.facts import pledges_valid_on
from ..services.positions import positions
from ..services.rules import effective_profile


def uncovered_advances(session: Session, on: dt.date | None = None) -> list[Breach]:
    """Each institution whose advance in force over both fund books exceeds the cap of the security
    valid on ``on`` (default: today in Beijing), or that holds one with no security where its
    region's rules require one.

    In force: its advance positions' (``services.positions``), neither owed back nor a pre-settlement.
    An advance being cleared (a year end's
    or a trigger's receivable) is recovered from the settlements after its qualification year and
    its security have ended (RULES §5, §6); it is watched as a debt (demands, overdue notices, the
    receivables' tie to the ledger), not as an advance the security must still cover."""
    on = on or clock.today()
    breaches = []
    for region in session.scalars(select(Region).order_by(Region.code)):
        ids = dict(session.execute(select(Institution.code, Institution.id).where(Institution.region_id == region.id)).all())
        codes = {inst_id: code for code, inst_id in ids.items()}
        held: dict[str, Decimal] = defaultdict(Decimal)
        for (inst_id, _, _), position in positions(session, region.id).items():
            held[codes[inst_id]] += position.in_force
        held = {p: b for p, b in held.items() if b > 0}
        if not held:
            continue
        profile = effective_profile(session, region, on.year)
        pledges = pledges_valid_on(session, region, on)
        for code, balance in sorted(held.items()):
            pledge = pledges.get(ids.get(code))
            if pledge is None:
                if profile.eligibility.security_required:
                    breaches.append(Breach("advance_without_security",
                                           f"{region.name} {code} 持有未进入收回的预付金 {fmt_yuan_cn(balance)} 元，"
                                           f"{on} 无有效担保、抵押"))
                continue
            cap = security_cap(pledge[1], profile)
            if cap is not None and balance > cap:
                breaches.append(Breach("advance_above_security",
                                       f"{region.name} {code} 持有预付金 {fmt_yuan_cn(balance)} 元，"
                                       f"超过担保、抵押额度 {fmt_yuan_cn(cap)} 元（13§）"))
    return breaches
