"""Play the demo region's campaign through to payment, as the bureau's staff would, with the real services.

So the ledger, the statements and the screens show real data from the first start.
"""
from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from functools import lru_cache
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from werkzeug.security import generate_password_hash

from ..clock import utcnow
from ..db import money_sum
from ..demo.generator import plan_institution
from ..intake.kinds import PAYMENT_RETURN
from ..intake.writing import data_csv
from ..models import (
    Application,
    Campaign,
    Department,
    Determination,
    DeterminationAdvance,
    Institution,
    PaymentBatch,
    PaymentInstruction,
    Region,
    Staff,
    Transition,
)
from ..policy.facts import Kind, SecurityKind
from ..policy.transitions import PAYMENT, CampaignState, DeterminationState, PaymentState
from . import applications, batch, deadlines, determination, payment, payment_return, signing
from .campaign import open_campaign
from .rules import effective_profile

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
               keep: frozenset[str] = frozenset(), return_at: frozenset[str] = frozenset(),
               draw: str = "cycle", bounce: int = 0) -> PlayedCycle:
    """December applications, January determination, signing (one institution lets its window pass,
    never one in ``keep``), the sign-offs of the profile's chain and payment, dated as they would have been. Institutions
    in ``skip`` do not apply. A level in ``return_at`` (``reviewed``, ``administration``,
    ``finance_bureau``) first returns the batch, voiding the sign-offs given (24§(五)), and it is signed
    again from the first level. The bank returns the first ``bounce`` transfers unpaid (退票); they are
    re-issued to the account confirmed with the bank and paid from a second return. ``seed`` is the region's (each institution's plan, and so its security
    offer, is regenerated from it); ``draw`` names the draw of who applies.

    Each step is its own use case and commits on its own, so a load killed half-way has played some of
    them: every step first reads whether it was done (the campaign, each application, the list, each
    security and agreement, the batch and its sign-offs, each instruction) and a rerun plays only what
    is left, to the same end state as an uninterrupted run."""
    ensure_demo_staff(sessions)
    rng = random.Random(f"{seed}/{draw}")
    step("开启年度预付、测算基金可支付月数")
    done = _done(sessions, region_code, year)
    if done.campaign_state is None:
        open_campaign(sessions, region_code, year, "caiwu1")
        done = _done(sessions, region_code, year)

    with sessions() as session:
        institutions = session.execute(
            select(Institution.code, Institution.kind).join(Region, Region.id == Institution.region_id)
            .where(Region.code == region_code).order_by(Institution.code)).all()
    applicants = [code for code, kind in institutions if kind != Kind.PHARMACY or rng.random() < 0.1]
    applicants = [code for code in applicants if rng.random() < 0.9 and code not in skip]
    step(f"受理申请 {len(applicants)} 份")
    for i, code in enumerate(applicants):
        if code not in done.applied:
            applications.apply(sessions, region_code, year, code, applications.clean_answers(),
                               min(dt.date(year - 1, 12, 20 + i % 11), done.application_deadline), "jiesuan1")

    if not applicants:
        return PlayedCycle(0, 0, 0, 0, 0)
    step("核定名单与额度")
    if not done.determined:
        determination.determine(sessions, region_code, year, "jiesuan1")
    if done.campaign_state != CampaignState.LIST_FIXED:
        # RULES §4: fixed the day after applications close (early January under Hebei), else on 5 January
        fixed_on = max(dt.date(year, 1, 5), done.application_deadline + dt.timedelta(days=1)) \
            if done.application_deadline else dt.date(year, 1, 5)
        determination.fix_list(sessions, region_code, year, "jiesuan1", fixed_on)

    done = _done(sessions, region_code, year)
    listed = [code for code, state in done.determinations.items() if state != DeterminationState.NOT_LISTED]
    deadline, fixed_on = done.signing_deadline, done.list_fixed_on
    step(f"办理担保并签约（期限 {deadline}）")
    window = max((deadline - fixed_on).days, 1)
    lets_pass = next((code for code in listed[1:] if code not in keep), None)
    for n, code in enumerate(listed):
        state = done.determinations[code]
        if state not in (DeterminationState.LISTED, DeterminationState.SECURED):
            continue  # signed (or paid) before the load was interrupted, or given up
        # what the institution offers (its plan, regenerated from the seed)
        plan = plan_institution(seed, int(code[-7:]) - 1, year, region_code[:4])
        offer = plan.security
        refused = offer is not None and offer.kind == SecurityKind.CREDIT_GUARANTEE and not plan.state_run
        if code == lets_pass or ((offer is None or refused) and done.security_required):
            continue  # the window passes (one by choice, the others with no acceptable security): 视作放弃
        on = min(fixed_on + dt.timedelta(days=1 + n % window), deadline)
        if offer is not None:
            if state == DeterminationState.LISTED:
                final = sum(a.final for a in signing.register_security(
                    sessions, region_code, year, code, offer.kind, offer.value, offer.registration_ref, on,
                    "jiesuan2").amounts)
            else:
                final = done.secured_final[code]
            if final <= 0:
                continue  # capped below the minimum: nothing to sign for (13§)
        signing.sign(sessions, region_code, year, code, on, "jiesuan2")

    step("逾期未签约机构视作放弃")
    deadlines.sweep(sessions, deadline + dt.timedelta(days=1), actor="scheduler")

    done = _done(sessions, region_code, year)
    signed = sum(state in (DeterminationState.SIGNED, DeterminationState.PAID) for state in done.determinations.values())
    given_up = sum(state == DeterminationState.GIVEN_UP for state in done.determinations.values())
    if not signed:
        return PlayedCycle(len(applicants), len(listed), 0, given_up, 0)
    step("拨付批次逐级审核")
    batch_id = done.batch_id if done.batch_id is not None else batch.prepare(sessions, region_code, year, "jiesuan1")
    seen = batch.current_hash(sessions, batch_id)  # each signer names the batch it saw
    levels = batch.chain_for(sessions, batch_id).levels  # the profile's chain (RULES §4)
    signed_levels, to_return = len(done.signed_levels), set(return_at)
    while signed_levels < len(levels):
        level = levels[signed_levels].name
        user, comment = SIGNERS[levels[signed_levels].department]
        if level in to_return and signed_levels > 0:
            to_return.discard(level)
            batch.reject(sessions, batch_id, user, "附件材料不全，退回补正后重新报送")
            signed_levels = 0
            continue
        batch.sign_off(sessions, batch_id, user, comment, seen)
        signed_levels += 1

    step("生成拨付指令并确认到账")
    paid_on = dt.date(year, 1, 23)
    pending = done.pending if done.issued else payment.issue(sessions, batch_id, "caiwu1", on=dt.date(year, 1, 22))
    returned = list(done.returned)
    if pending and not done.bounced_before:  # the bank pays the batch and returns it: confirmed at once
        failed = set(pending[:bounce])  # 退票, once per batch
        sheet, _ = _bank_return(sessions, batch_id, year, paid_on, failed)
        payment_return.confirm_return(sessions, batch_id, sheet, "caiwu1")
        returned += sorted(failed)
    for instruction_id in returned:  # the account confirmed with the bank: sent again (15§(四)), once 内审 reviewed it
        payment.reissue(sessions, instruction_id, "caiwu1", "经与开户银行核实，原账户已恢复，重新拨付", dt.date(year, 1, 24))
    for instruction_id in done.unreviewed + returned:
        payment.approve_reissue(sessions, instruction_id, "neishen1", "已核对银行核实记录，同意重新拨付")
    sheet, rows = _bank_return(sessions, batch_id, year, dt.date(year, 1, 26))  # what was sent again
    if rows:
        payment_return.confirm_return(sessions, batch_id, sheet, "caiwu1")
    with sessions() as session:
        paid = len(session.scalars(select(PaymentInstruction.id).where(
            PaymentInstruction.state == PaymentState.PAID, PaymentInstruction.batch_id == batch_id)).all())
    return PlayedCycle(len(applicants), len(listed), signed, given_up, paid)


def _bank_return(sessions: sessionmaker, batch_id: int, year: int, paid_on: dt.date,
                 failed: frozenset[int] | set[int] = frozenset()) -> tuple[io.BytesIO, int]:
    """The bank's return of the batch's pending transfers: the sheet it was sent, filled in, and its rows;
    those in ``failed`` returned unpaid (退票)."""
    sheet = io.BytesIO()
    with sessions() as session:
        rows = [{**r, "outcome": PaymentState.FAILED, "failure": "账户状态异常（银行退票）"} if r["instruction_id"] in failed
                else {**r, "paid_on": paid_on,
                      "bank_ref": f"DEMO{year}{r['instruction_id']:06d}" + (f"-{r['attempt']}" if r["attempt"] > 1 else "")}
                for r in payment_return.sent_rows(session, batch_id)]
    data_csv(PAYMENT_RETURN, rows, sheet)
    sheet.seek(0)
    return sheet, len(rows)


# who of the demo's staff signs a level of each department, and what they write
SIGNERS = {Department.FUND_SETTLEMENT: ("jiesuan1", "名单及额度经核定无误，提请审核"),
           Department.FINANCE: ("caiwu1", "资金来源已落实，申报拨付"), Department.INTERNAL_AUDIT: ("neishen1", "拨付流程合规"),
           Department.ADMINISTRATION: ("yibaoju1", "同意拨付（盖章）"),
           Department.FINANCE_BUREAU: ("caizhengju1", "同意拨付（盖章）")}


@dataclass(frozen=True)
class _Done:
    """How far the year's campaign has been played: what a rerun of the demo need not do again."""

    campaign_state: str | None
    application_deadline: dt.date | None  # the year's profile's (15§(一)): no demo application is later
    applied: frozenset[str]
    determined: bool
    list_fixed_on: dt.date | None
    signing_deadline: dt.date | None
    security_required: bool
    determinations: dict[str, str]  # institution → state of its current determination, by code
    secured_final: dict[str, Decimal]  # institution → its advance over both funds after the security's cap
    batch_id: int | None
    signed_levels: tuple[str, ...]
    issued: bool
    pending: list[int]  # instructions issued and not yet confirmed
    returned: list[int] = dataclass_field(default_factory=list)  # returned unpaid by the bank, not re-issued yet
    bounced_before: bool = False  # the bank has returned one of the batch's transfers before
    unreviewed: list[int] = dataclass_field(default_factory=list)  # re-issued, not yet reviewed by 内审


def _done(sessions: sessionmaker, region_code: str, year: int) -> _Done:
    with sessions() as session:
        region = session.scalar(select(Region).where(Region.code == region_code))
        campaign = session.scalar(select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year))
        if campaign is None:
            return _Done(None, None, frozenset(), False, None, None, False, {}, {}, None, (), False, [])
        applied = frozenset(session.scalars(select(Institution.code).join(
            Application, Application.institution_id == Institution.id).where(Application.campaign_id == campaign.id)))
        current = session.execute(
            select(Institution.code, Determination.state, Determination.id)
            .join(Determination, Determination.institution_id == Institution.id)
            .where(Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)
            .order_by(Institution.code)).all()
        finals = dict(session.execute(
            select(Institution.code, money_sum(DeterminationAdvance.final_amount))
            .join(Determination, Determination.institution_id == Institution.id)
            .join(DeterminationAdvance, DeterminationAdvance.determination_id == Determination.id)
            .where(Determination.campaign_id == campaign.id, Determination.state == DeterminationState.SECURED)
            .group_by(Institution.code)).all())
        found = session.scalar(select(PaymentBatch).where(PaymentBatch.campaign_id == campaign.id)
                               .order_by(PaymentBatch.id.desc()).limit(1))
        levels = tuple(s.level for s in batch.valid_sign_offs(found)) if found else ()
        unreviewed = list(session.scalars(select(PaymentInstruction.id).where(
            PaymentInstruction.batch_id == found.id, PaymentInstruction.state == PaymentState.PENDING,
            PaymentInstruction.reissued_by.is_not(None), PaymentInstruction.reissue_approved_by.is_(None)))) \
            if found else []
        instructions = session.execute(select(PaymentInstruction.id, PaymentInstruction.state).where(
            PaymentInstruction.batch_id == found.id).order_by(PaymentInstruction.id)).all() if found else []
        profile = effective_profile(session, region, year)
        return _Done(campaign.state, profile.calendar.application_deadline.in_campaign(year), applied,
                     campaign.determination_run > 0, campaign.list_fixed_on,
                     campaign.signing_deadline, profile.eligibility.security_required,
                     {code: state for code, state, _ in current}, finals,
                     found.id if found else None, levels, bool(instructions),
                     [i for i, state in instructions if state == PaymentState.PENDING],
                     [i for i, state in instructions if state == PaymentState.FAILED],
                     bool(instructions) and session.scalar(select(Transition.id).where(
                         Transition.machine == PAYMENT.name, Transition.action == "bounce",
                         Transition.object_id.in_([i for i, _ in instructions])).limit(1)) is not None,
                     unreviewed)
