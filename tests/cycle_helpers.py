"""A demo region ready for its January, and the steps staff take in it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from prepay_admin.models import Determination, Institution, SecurityPledge
from prepay_admin.services import applications, determination, signing
from prepay_admin.services.campaign import get_campaign, open_campaign
from prepay_admin.services.demo import load_demo
from prepay_admin.services.demo_cycle import ensure_demo_staff

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


def listed(sessions) -> list[tuple]:
    with sessions() as s:
        _, campaign = get_campaign(s, REGION, YEAR)
        return s.execute(
            select(Institution.code, SecurityPledge.kind, SecurityPledge.value, SecurityPledge.registration_ref)
            .join(Determination, Determination.institution_id == Institution.id)
            .join(SecurityPledge, SecurityPledge.institution_id == Institution.id)
            .where(Determination.campaign_id == campaign.id, Determination.state == "listed")
            .order_by(Institution.code)).all()


def secure_and_sign(sessions, rows, on=dt.date(YEAR, 1, 9)) -> None:
    for code, kind, value, ref in rows:
        signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, on, "jiesuan2")
        signing.sign(sessions, REGION, YEAR, code, on, "jiesuan2")
