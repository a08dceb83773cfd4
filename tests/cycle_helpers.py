"""A demo region ready for its January, and the steps staff take in it."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from sqlalchemy import select

from accounting.chart import Role
from accounting.ledger import get_book, party_balance
from prepay_admin.demo.generator import plan_institution
from prepay_admin.models import Determination, Institution
from prepay_admin.policy.facts import Fund
from prepay_admin.services import applications, batch, determination, payment, signing
from prepay_admin.services.campaign import open_campaign
from prepay_admin.services.demo import load_demo
from prepay_admin.services.demo_cycle import ensure_demo_staff
from prepay_admin.services.unit_of_work import find_campaign, find_region
from tests.signing_helpers import batch_signers

YEAR = 2026
REGION = "320600"


def region_ready(sessions, institutions: int = 40) -> None:
    load_demo(sessions, institutions=institutions, seed=2026, year=YEAR, play=False)
    ensure_demo_staff(sessions)


def listed_through_fixing(sessions, institutions: int = 40) -> list[tuple]:
    """Open, apply (every medical institution), determine, fix the list on 5 January.
    Returns the listed institutions with their offered security: (code, kind, value, ref)."""
    region_ready(sessions, institutions)
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    with sessions() as s:
        codes = s.scalars(select(Institution.code).order_by(Institution.code)).all()
    for code in codes:
        applications.apply(sessions, REGION, YEAR, code, applications.clean_answers(), dt.date(YEAR - 1, 12, 28), "jiesuan1")
    determination.determine(sessions, REGION, YEAR, "jiesuan1")
    determination.fix_list(sessions, REGION, YEAR, "jiesuan1", dt.date(YEAR, 1, 5))
    return listed(sessions)


def listed_codes(sessions, region: str = REGION) -> list[str]:
    """Every institution on the fixed list still in its signing window (listed, no security yet)."""
    with sessions() as s:
        campaign = find_campaign(s, find_region(s, region), YEAR)
        return s.scalars(
            select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
            .where(Determination.campaign_id == campaign.id, Determination.state == "listed")
            .order_by(Institution.code)).all()


def listed(sessions, region: str = REGION) -> list[tuple]:
    """The listed institutions that offer an acceptable security (the demo plan's offer, registered in
    the window): (code, kind, value, ref)."""
    rows = []
    for code in listed_codes(sessions, region):
        plan = plan_institution(2026, int(code[-7:]) - 1, YEAR, REGION[:4])
        offer = plan.security
        if offer is not None and (offer.kind == "pledge" or plan.state_run):  # 10§(二): guarantees for state-run only
            rows.append((code, offer.kind, offer.value, offer.registration_ref))
    return rows


def secure_and_sign(sessions, rows, on=dt.date(YEAR, 1, 9)) -> list[tuple]:
    """Register each offered security and sign; returns the rows that signed (a security that caps
    the advance below the minimum leaves nothing to sign for)."""
    signed = []
    for row in rows:
        code, kind, value, ref = row
        done = signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, on, "jiesuan2")
        if sum(a.final for a in done.amounts) > 0:
            signing.sign(sessions, REGION, YEAR, code, on, "jiesuan2")
            signed.append(row)
    return signed


def batch_awaiting_sign_off(sessions, region_code: str, region_name: str, institutions: int = 20,
                            applicants: int = 7, signed: int = 3) -> int:
    """A second demo region whose January stops at a prepared batch (its id): ``applicants`` apply,
    the first ``signed`` listed register their security and sign."""
    from prepay_admin.services import batch

    load_demo(sessions, institutions=institutions, seed=2026, year=YEAR, region_code=region_code,
              region_name=region_name, play=False)
    open_campaign(sessions, region_code, YEAR, "caiwu1")
    for n in range(1, applicants + 1):
        applications.apply(sessions, region_code, YEAR, f"H3206{n:07d}", applications.clean_answers(),
                           dt.date(YEAR - 1, 12, 28), "jiesuan1")
    determination.determine(sessions, region_code, YEAR, "jiesuan1")
    determination.fix_list(sessions, region_code, YEAR, "jiesuan1", dt.date(YEAR, 1, 5))
    for code, kind, value, ref in listed(sessions, region_code)[:signed]:
        signing.register_security(sessions, region_code, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 8),
                                  "jiesuan2")
        signing.sign(sessions, region_code, YEAR, code, dt.date(YEAR, 1, 8), "jiesuan2")
    return batch.prepare(sessions, region_code, YEAR, "jiesuan1")


def apply_all(sessions, codes=None) -> None:
    """Open the year and apply for every institution (or ``codes``) with clean answers."""
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    with sessions() as s:
        codes = codes or s.scalars(select(Institution.code).order_by(Institution.code)).all()
    for code in codes:
        applications.apply(sessions, REGION, YEAR, code, applications.clean_answers(), dt.date(YEAR - 1, 12, 28),
                           "jiesuan1")


def pay_batch(sessions, on=dt.date(YEAR, 1, 23)):
    """Prepare the year's batch, sign it at every level of its chain, and issue its instructions."""
    batch_id = batch.prepare(sessions, REGION, YEAR, "jiesuan1")
    seen = batch.current_hash(sessions, batch_id)
    for user in batch_signers(sessions, batch_id):
        batch.sign_off(sessions, batch_id, user, "同意", seen)
    return payment.issue(sessions, batch_id, "caiwu1", on)


def advance_held(sessions, code) -> D:
    """What ``code`` holds on 暂付款—医保预付金, both funds together."""
    with sessions() as s:
        return sum((party_balance(s, get_book(s, REGION, f).id, Role.ADVANCE, code) for f in Fund), D(0))
