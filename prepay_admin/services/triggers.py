"""20§, HB 五: recording a recovery trigger and what follows from it at once.

The inspection department (稽核, 24§(三)) records the trigger with its evidence. In the same step:
advances not yet paid to the institution are stopped (its determinations, pending instructions, and
its lines in batches not yet issued); everything it holds becomes owed back, withheld from its next
settlements (and, under a profile that says so, its whole settlement payments are kept back until the
advance is recovered); a finding that it obtained the advance by fraud bars it for three years (21§(六)).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from .. import clock
from ..models import (
    Bar,
    BatchItem,
    Department,
    Determination,
    Institution,
    PaymentBatch,
    PaymentInstruction,
    Receivable,
    RecoveryTrigger,
)
from ..policy.recovery import ROUTE_CN, TRIGGER_CN, Route, TriggerKind, bar_until
from ..policy.transitions import DETERMINATION, PAYMENT, UNSETTLED_PAYMENTS, BatchState, DeterminationState
from .batch import take_out
from .calendar import working_days_after
from .dates import not_after_today
from .errors import NotFound, ServiceError
from .payment import complete_if_settled
from .positions import positions
from .receivables import open_receivable
from .unit_of_work import find_region, staff_step

STOPPABLE = (DeterminationState.LISTED, DeterminationState.SECURED, DeterminationState.SIGNED)
UNISSUED_BATCH = (BatchState.DRAFT, BatchState.SIGNING, BatchState.APPROVED)


@dataclass(frozen=True)
class TriggerRecorded:
    trigger_id: int
    institution_code: str
    owed: dict[str, Decimal]  # per fund, what became owed back
    stopped: int  # determinations stopped
    voided: int  # payment instructions voided
    barred_until: dt.date | None
    replayed: bool = False  # the same trigger was recorded before: nothing changed


def record_trigger(sessions: sessionmaker, region_code: str, institution_code: str, kind: TriggerKind,
                   occurred_on: dt.date, evidence: str, user: str, decision_ref: str = "",
                   decided_on: dt.date | None = None) -> TriggerRecorded:
    """``decision_ref`` and ``decided_on``: the decision that cancels the qualification (21§(六)); the
    three-year bar runs from its day (RULES §2, turn 3), the day the fraud happened being evidence."""
    evidence = (evidence or "").strip()
    if not evidence:
        raise ServiceError("须填写依据文书或证据", "evidence")
    if len(evidence) > 500:
        raise ServiceError("依据不能超过 500 个字符", "evidence")
    not_after_today(occurred_on, "occurred_on", "发生日期")
    if kind == TriggerKind.FRAUD and not (decision_ref or "").strip():
        raise ServiceError("以欺诈手段取得预付资格须填写处理决定文号（21§(六)：三年内不得申请）", "decision_ref")
    if kind == TriggerKind.FRAUD and decided_on is None:
        raise ServiceError("须填写取消预付资格决定的日期：三年自该日起算（21§(六)）", "decided_on")
    if decided_on is not None and not occurred_on <= decided_on <= clock.today():
        raise ServiceError(f"决定日期须在发生日期 {occurred_on} 与今天之间", "decided_on")
    with staff_step(sessions, user, Department.INSPECTION) as step:
        step.enter(find_region(step.session, region_code))
        step.year = occurred_on.year
        session = step.session
        step.lock_region()  # a year end at the same time would claim the same advance in force
        inst = session.scalar(select(Institution).where(Institution.region_id == step.region.id,
                                                        Institution.code == (institution_code or "").strip().upper())
                              .with_for_update())
        if inst is None:
            raise NotFound(f"本统筹地区没有机构 {institution_code}", "institution")
        again = session.scalar(select(RecoveryTrigger).where(
            RecoveryTrigger.institution_id == inst.id, RecoveryTrigger.kind == kind,
            RecoveryTrigger.occurred_on == occurred_on, RecoveryTrigger.evidence == evidence))
        if again is not None:  # the same form sent twice (a retry, a double click): recorded once
            owed = {}
            for r in session.scalars(select(Receivable).where(
                    Receivable.trigger_id == again.id, Receivable.institution_id == inst.id,
                    Receivable.route == Route.TRIGGER)):
                owed[r.fund.value] = owed.get(r.fund.value, Decimal("0.00")) + r.amount
            return TriggerRecorded(again.id, inst.code, owed, 0, 0, None, replayed=True)
        hold = step.profile.year_end.withhold_settlement_until_recovered
        trigger = RecoveryTrigger(institution_id=inst.id, kind=kind, occurred_on=occurred_on, evidence=evidence,
                                  reported_by=user, hold_settlement=hold)
        session.add(trigger)
        session.flush()
        why = f"收回情形：{TRIGGER_CN[kind]}（{evidence}）"
        stopped, voided = _stop_unpaid(step, inst, why)
        owed: dict[str, Decimal] = {}
        # 20§(二)1: what the settlements do not withhold is refunded within the profile's working days; under
        # HB 五 the settlements are held until then, and applied once that day has passed
        due = working_days_after(session, step.region.code, occurred_on, step.profile.year_end.refund_working_days).date \
            if hold else None
        # 20§(二): what it still holds of each year's advance becomes owed back; what was claimed
        # already (a year end's difference) is not claimed twice, and a pre-settlement has its own
        for (_, fund, year), position in positions(session, step.region.id, institution_id=inst.id).items():
            if position.in_force <= 0:
                continue
            made = open_receivable(step, inst, fund, Route.TRIGGER, position.in_force, occurred_on,
                                   f"trigger:{trigger.id}:{year}", f"{ROUTE_CN[Route.TRIGGER]}：{TRIGGER_CN[kind]}",
                                   trigger_id=trigger.id, advance_year=year)
            if made is not None:
                made.due_on = due
                owed[fund.value] = owed.get(fund.value, Decimal("0.00")) + position.in_force
        until = None
        if kind == TriggerKind.FRAUD and step.profile.eligibility.bar_years:  # 21§(六), from the decision's day
            until = bar_until(decided_on, step.profile.eligibility.bar_years)
            session.add(Bar(institution_id=inst.id, since=decided_on, until=until,
                            reason=f"以欺诈手段取得预付资格：{evidence}"[:500], decision_ref=decision_ref.strip()[:100]))
        return TriggerRecorded(trigger.id, inst.code, owed, stopped, voided, until)


def _stop_unpaid(step, inst: Institution, why: str) -> tuple[int, int]:
    """20§(二)2: an advance not yet paid is stopped."""
    session = step.session
    dets = session.scalars(select(Determination).where(
        Determination.institution_id == inst.id, Determination.state.in_(STOPPABLE))).all()
    for det in dets:
        step.transition(DETERMINATION, det, "stop", why)
    det_ids = [d.id for d in dets]
    if not det_ids:
        return 0, 0
    pending = session.scalars(
        select(PaymentInstruction).join(BatchItem, BatchItem.id == PaymentInstruction.batch_item_id)
        .where(BatchItem.determination_id.in_(det_ids), PaymentInstruction.state.in_(UNSETTLED_PAYMENTS))).all()
    for instruction in pending:
        step.transition(PAYMENT, instruction, "void", why)
    session.flush()
    for batch_id in {i.batch_id for i in pending}:
        complete_if_settled(step, session.get(PaymentBatch, batch_id))
    voided = len(pending)
    for batch in session.scalars(select(PaymentBatch).join(BatchItem, BatchItem.batch_id == PaymentBatch.id)
                                 .where(BatchItem.determination_id.in_(det_ids),
                                        PaymentBatch.state.in_(UNISSUED_BATCH)).distinct()):
        if batch.state == BatchState.APPROVED:
            continue  # its sign-offs stay; issuing leaves out the stopped determination's lines
        take_out(step, batch, [i for i in batch.items if i.determination_id in det_ids], inst.code, why)
    return len(det_ids), voided
