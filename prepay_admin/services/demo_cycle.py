"""Play the demo region's campaign through to payment, as the bureau's staff would, with the real services.

So the ledger, the statements and the screens show real data from the first start.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from werkzeug.security import generate_password_hash

from ..clock import utcnow

from ..demo.generator import plan_institution
from ..models import Department, Determination, Institution, PaymentInstruction, Region, Staff
from ..policy.facts import Kind, SecurityKind
from ..policy.transitions import DeterminationState, PaymentState
from . import applications, batch, deadlines, determination, payment, signing
from .campaign import open_campaign
from .rules import effective_profile
from .unit_of_work import find_campaign

DEMO_STAFF = (
    ("jiesuan1", "张敏", Department.FUND_SETTLEMENT),
    ("jiesuan2", "李强", Department.FUND_SETTLEMENT),
    ("caiwu1", "王芳", Department.FINANCE),
    ("neishen1", "赵磊", Department.INTERNAL_AUDIT),
    ("yibaoju1", "刘洋", Department.ADMINISTRATION),
    ("caizhengju1", "陈静", Department.FINANCE_BUREAU),
    ("jihe1", "周涛", Department.INSPECTION),
    ("shenji1", "吴刚", Department.AUDITOR),
    ("guanli1", "孙丽", Department.ADMINISTRATOR),
)


def demo_password(username: str) -> str:
    """The demo users' passwords, printed by ``demo load``: a demo region only, never production."""
    return f"{username}-demo"


@lru_cache(maxsize=None)
def _demo_hash(username: str) -> str:
    # scrypt costs ~0.1 s a hash: once per process, whatever the number of demo regions loaded
    return generate_password_hash(demo_password(username))


@dataclass(frozen=True)
class PlayedCycle:
    applications: int
    listed: int
    signed: int
    given_up: int
    paid: int


def ensure_demo_staff(sessions: sessionmaker) -> None:
    with sessions.begin() as session:
        known = set(session.scalars(select(Staff.username)))
        for username, name, department in DEMO_STAFF:
            if username not in known:
                session.add(Staff(username=username, name=name, department=department, active=True,
                                  password_hash=_demo_hash(username), password_changed_at=utcnow()))


def play_cycle(sessions: sessionmaker, region_code: str, year: int, seed: int,
               step: Callable[[str], None] = lambda s: None, skip: frozenset[str] = frozenset(),
               keep: frozenset[str] = frozenset()) -> PlayedCycle:
    """December applications, January determination, signing (one institution lets its window pass,
    never one in ``keep``), the four sign-offs and payment, dated as they would have been. Institutions
    in ``skip`` do not apply."""
    ensure_demo_staff(sessions)
    rng = random.Random(f"{seed}/cycle")
    step("开启年度预付、测算基金可支付月数")
    open_campaign(sessions, region_code, year, "caiwu1")

    with sessions() as session:
        institutions = session.execute(
            select(Institution.code, Institution.kind).join(Region, Region.id == Institution.region_id)
            .where(Region.code == region_code).order_by(Institution.code)).all()
    applicants = [code for code, kind in institutions if kind != Kind.PHARMACY or rng.random() < 0.1]
    applicants = [code for code in applicants if rng.random() < 0.9 and code not in skip]
    step(f"受理申请 {len(applicants)} 份")
    for i, code in enumerate(applicants):
        applications.apply(sessions, region_code, year, code, applications.clean_answers(),
                           dt.date(year - 1, 12, 20 + i % 11), "jiesuan1")

    if not applicants:
        return PlayedCycle(0, 0, 0, 0, 0)
    step("核定名单与额度")
    determination.determine(sessions, region_code, year, "jiesuan1")
    fixed = determination.fix_list(sessions, region_code, year, "jiesuan1", dt.date(year, 1, 5))

    with sessions() as session:
        region = session.scalar(select(Region).where(Region.code == region_code))
        campaign = find_campaign(session, region, year)
        listed = session.scalars(
            select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
            .where(Determination.campaign_id == campaign.id, Determination.state == DeterminationState.LISTED)
            .order_by(Institution.code)).all()
        security_required = effective_profile(session, region, year).eligibility.security_required
    deadline, fixed_on = fixed.signing_deadline, fixed.fixed_on
    step(f"办理担保并签约（期限 {deadline}）")
    signed = 0
    window = max((deadline - fixed_on).days, 1)
    lets_pass = next((code for code in listed[1:] if code not in keep), None)
    for n, code in enumerate(listed):
        # what the institution offers (its plan, regenerated from the seed)
        plan = plan_institution(seed, int(code[-7:]) - 1, year, region_code[:4])
        offer = plan.security
        refused = offer is not None and offer.kind == SecurityKind.CREDIT_GUARANTEE and not plan.state_run
        if code == lets_pass or ((offer is None or refused) and security_required):
            continue  # the window passes (one by choice, the others with no acceptable security): 视作放弃
        on = min(fixed_on + dt.timedelta(days=1 + n % window), deadline)
        if offer is not None:
            done = signing.register_security(sessions, region_code, year, code, offer.kind, offer.value,
                                             offer.registration_ref, on, "jiesuan2")
            if sum(a.final for a in done.amounts) <= 0:
                continue  # capped below the minimum: nothing to sign for (13§)
        signing.sign(sessions, region_code, year, code, on, "jiesuan2")
        signed += 1

    step("逾期未签约机构视作放弃")
    swept = deadlines.sweep(sessions, deadline + dt.timedelta(days=1), actor="scheduler")

    if not signed:
        return PlayedCycle(len(applicants), len(listed), 0, swept.given_up, 0)
    step("拨付批次四级审核")
    batch_id = batch.prepare(sessions, region_code, year, "jiesuan1")
    seen = batch.current_hash(sessions, batch_id)  # each signer names the batch it saw
    batch.sign_off(sessions, batch_id, "jiesuan1", "名单及额度经核定无误，提请审核", seen)
    batch.sign_off(sessions, batch_id, "neishen1", "拨付流程合规", seen)
    batch.sign_off(sessions, batch_id, "yibaoju1", "同意拨付（盖章）", seen)
    batch.sign_off(sessions, batch_id, "caizhengju1", "同意拨付（盖章）", seen)

    step("生成拨付指令并确认到账")
    paid_on = dt.date(year, 1, 23)
    for instruction_id in payment.issue(sessions, batch_id, "caiwu1", on=dt.date(year, 1, 22)):
        payment.confirm(sessions, instruction_id, f"DEMO{year}{instruction_id:06d}", paid_on, "caiwu1")
    with sessions() as session:
        paid = len(session.scalars(select(PaymentInstruction.id).where(
            PaymentInstruction.state == PaymentState.PAID, PaymentInstruction.batch_id == batch_id)).all())
    return PlayedCycle(len(applicants), len(listed), signed, swept.given_up, paid)
