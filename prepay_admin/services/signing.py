"""15§(三), 16§: within the signing window, register the security and sign the agreement.

The security belongs to signing (RULES §2): an institution listed without one
registers it here, and its advance is capped then, both funds together (13§).
A security is valid for a stated period — by default as long as the agreement
(3 years under Nantong), so that the pledge of year 1 still caps years 2 and 3 —
and can be renewed or replaced; the latest registered that is valid wins.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import Integer, Select, String, bindparam, insert, select, update
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from ..models import (
    Agreement,
    Campaign,
    Department,
    Determination,
    DeterminationAdvance,
    Institution,
    SecurityPledge,
)
from ..policy import amount as amt
from ..policy.facts import Security, SecurityKind
from ..policy.money import fmt_yuan_cn
from ..policy.reasons import Reason
from ..policy.transitions import AGREEMENT, DETERMINATION, AgreementState, DeterminationState
from ..validation import MONEY_MAX
from .errors import NotFound, Refused, ServiceError
from .facts import pledges_valid_on
from .positions import in_force_of_institution
from .unit_of_work import Step, campaign_step, find_region, staff_step


@dataclass(frozen=True)
class FundAmount:
    fund: str
    determined: Decimal
    final: Decimal
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Registered:
    institution_code: str
    value: Decimal
    valid_from: dt.date
    valid_until: dt.date
    amounts: tuple[FundAmount, ...]


@dataclass(frozen=True)
class Signed:
    institution_code: str
    agreement_no: str
    first_year: int
    last_year: int


def current_determination(session: Session, campaign: Campaign, institution_code: str, *,
                          lock: bool = False) -> tuple[Determination, Institution]:
    """The institution's determination of the fixed list (its latest run), with its advances.

    One statement: the institution's id by its unique (region, code), as a subquery evaluated once,
    then the determination by its unique (campaign, run, institution). Its cost does not grow with the
    region (``EXPLAIN`` on both databases): joined on the code instead, PostgreSQL's planner walks every
    determination of the run. ``lock`` holds the determination's row, not the institution's."""
    found = session.execute(_determination_of(lock), {
        "region_id": campaign.region_id, "code": institution_code, "campaign_id": campaign.id,
        "run": campaign.determination_run}).unique().all()
    if not found:
        raise NotFound(f"{institution_code} 不在 {campaign.year} 年度核定结果中", "institution")
    return found[0][0], found[0][1]


@lru_cache(maxsize=None)
def _determination_of(lock: bool) -> Select:
    """``current_determination``'s statement, built once with its values as bind parameters: every
    security and every signature of a region starts with it."""
    institution_id = select(Institution.id).where(
        Institution.region_id == bindparam("region_id", type_=Integer),
        Institution.code == bindparam("code", type_=String)).scalar_subquery()
    query = (select(Determination, Institution).join(Institution, Institution.id == Determination.institution_id)
             .where(Determination.institution_id == institution_id,
                    Determination.campaign_id == bindparam("campaign_id", type_=Integer),
                    Determination.run == bindparam("run", type_=Integer))
             .options(joinedload(Determination.advances)))
    return query.with_for_update(of=Determination) if lock else query


def _within_window(step: Step, on: dt.date) -> None:
    campaign = step.campaign
    if campaign.signing_deadline is None:
        raise ServiceError("名单尚未确定，不能办理担保或签约", "year")
    if on < campaign.list_fixed_on:
        raise ServiceError(f"日期 {on} 早于名单确定日 {campaign.list_fixed_on}", "on")
    if on > campaign.signing_deadline:
        days = step.profile.calendar.signing_working_days
        raise ServiceError(f"已超过名单确定后 {days} 个工作日的期限（{campaign.signing_deadline}），"
                           f"逾期视作放弃预付资格（15§(三)）", "on")


def _check_security(step: Step, inst: Institution, kind: SecurityKind, value: Decimal, ref: str) -> None:
    if value <= 0 or value > MONEY_MAX:
        raise ServiceError(f"担保、抵押金额须大于 0 且不超过 {MONEY_MAX:,} 元", "value")
    if not ref.strip() or len(ref) > 100:
        raise ServiceError("须填写抵押登记或担保函编号（不超过 100 个字符）", "registration_ref")
    if (kind == SecurityKind.CREDIT_GUARANTEE and step.profile.eligibility.credit_guarantee_requires_state_run
            and not inst.state_run):
        raise ServiceError("非国家机关或国有资产举办的公益性机构不得实行信用担保，须履行资产抵押手续（10§(二)）", "kind")


def agreement_end(step: Step, inst: Institution) -> dt.date:
    """The last day a security must cover: the end of the qualification period of the
    agreement's last year (a running agreement's, else one signed this year)."""
    return _security_until(step, step.session.scalar(_running_agreement(Agreement.last_year),
                                                     {"institution_id": inst.id, "year": step.year}))


@lru_cache(maxsize=None)
def _running_agreement(what) -> Select:
    """``what`` of the institution's agreement running in the year (16§: one agreement covers up to three
    years), built once with bind parameters, as ``_determination_of``."""
    year = bindparam("year", type_=Integer)
    return select(what).where(Agreement.institution_id == bindparam("institution_id", type_=Integer),
                              Agreement.state == AgreementState.ACTIVE,
                              Agreement.first_year <= year, Agreement.last_year >= year)


def register_security(sessions: sessionmaker, region_code: str, year: int, institution_code: str,
                      kind: SecurityKind, value: Decimal, registration_ref: str, on: dt.date, user: str,
                      valid_until: dt.date | None = None) -> Registered:
    """Record the pledge or guarantee registered in the window; the advance is capped by it (13§)."""
    with campaign_step(sessions, user, region_code, year, Department.FUND_SETTLEMENT) as step:
        det, inst = current_determination(step.session, step.campaign, institution_code, lock=True)
        _within_window(step, on)
        _check_security(step, inst, kind, value, registration_ref)
        until = valid_until or agreement_end(step, inst)
        if until < det.qualification_end:
            raise ServiceError(f"担保、抵押有效期须至少覆盖本年度资格期（至 {det.qualification_end}）", "valid_until")
        pledge = SecurityPledge(institution_id=inst.id, kind=kind, value=value, registration_ref=registration_ref,
                                valid_from=on, valid_until=until)
        step.session.add(pledge)
        step.session.flush()  # the pledge's id first: the determination then changes in one update
        step.transition(DETERMINATION, det, "register_security", f"{registration_ref} {fmt_yuan_cn(value)} 元")
        det.security_id = pledge.id
        return Registered(inst.code, value, on, until, _cap_by_security(step, det, Security(kind, value)))


def _cap_by_security(step: Step, det: Determination, security: Security) -> tuple[FundAmount, ...]:
    """13§: the determination's advances capped again, both funds together, by the security registered."""
    amounts = []
    for a, final, reasons_json in _capped(step, det, security):
        a.final_amount, a.final_cap, a.final_reasons_json = final.amount, final.cap, reasons_json
        amounts.append(FundAmount(a.fund.value, a.amount, final.amount, tuple(r.message for r in final.reasons)))
    return tuple(amounts)


def _capped(step: Step, det: Determination, security: Security) -> list[tuple]:
    """Each advance of ``det`` with its capped figures under ``security`` and their reasons as stored."""
    capped = {c.fund: c for c in amt.cap_jointly(tuple(_stored_advance(a) for a in det.advances), security,
                                                  step.profile)}
    return [(a, capped[a.fund], json.dumps([r.as_dict() for r in capped[a.fund].reasons], ensure_ascii=False))
            for a in det.advances]


def _security_until(step: Step, running_last_year: int | None) -> dt.date:
    """The last day a security must cover (``agreement_end``), from the running agreement's last year."""
    calendar = step.profile.calendar
    last_year = running_last_year if running_last_year is not None else step.year + calendar.agreement_years - 1
    return calendar.qualification_end.in_campaign(last_year)


def _stored_advance(a) -> amt.Advance:
    """A determined fund's advance as the engine made it, before any security."""
    reasons = tuple(Reason(**r) for r in json.loads(a.reasons_json) if r["code"] not in ("capped_by_security",
                                                                                        "capped_below_minimum"))
    return amt.Advance(a.fund, a.base, a.raw, a.rounded, a.uncapped, None, a.uncapped, reasons)


def renew_security(sessions: sessionmaker, region_code: str, institution_code: str, kind: SecurityKind,
                   value: Decimal, registration_ref: str, valid_from: dt.date, valid_until: dt.date,
                   user: str) -> Registered:
    """Renew or replace an institution's security while its agreement runs (基金结算部门).

    The new one must cover what the institution holds now (13§: the advance never
    exceeds its security); the one it replaces stays on record.
    """
    if valid_until < valid_from:
        raise ServiceError("截止日期不能早于起始日期", "valid_until")
    with staff_step(sessions, user, Department.FUND_SETTLEMENT) as step:
        step.enter(find_region(step.session, region_code))
        step.year = valid_from.year
        inst = step.session.scalar(select(Institution).where(
            Institution.region_id == step.region.id, Institution.code == institution_code))
        if inst is None:
            raise NotFound(f"没有定点医药机构 {institution_code}", "institution")
        _check_security(step, inst, kind, value, registration_ref)
        held = in_force_of_institution(step.session, step.region.id, inst.id)
        cap = amt.security_cap(Security(kind, value), step.profile)
        if cap is not None and cap < held:
            raise ServiceError(f"{inst.name} 现持有预付金 {fmt_yuan_cn(held)} 元，新担保、抵押额度 {fmt_yuan_cn(cap)} 元"
                               f"不足以覆盖，请先收回超出部分", "value")
        replaced = pledges_valid_on(step.session, step.region, valid_from).get(inst.id)
        step.session.add(SecurityPledge(institution_id=inst.id, kind=kind, value=value,
                                        registration_ref=registration_ref, valid_from=valid_from,
                                        valid_until=valid_until, replaces_id=replaced[0] if replaced else None))
        return Registered(inst.code, value, valid_from, valid_until, ())


def sign(sessions: sessionmaker, region_code: str, year: int, institution_code: str, on: dt.date, user: str) -> Signed:
    """Sign the prepayment agreement; an agreement still running covers this year too (16§)."""
    with campaign_step(sessions, user, region_code, year, Department.FUND_SETTLEMENT) as step:
        session = step.session
        det, inst = current_determination(session, step.campaign, institution_code, lock=True)
        _within_window(step, on)
        refusal = _sign_refusal(step, det)
        if refusal:
            raise ServiceError(refusal, "institution")
        agreement = session.scalar(_running_agreement(Agreement), {"institution_id": inst.id, "year": year})
        if agreement is None:
            agreement = _new_agreement(step, inst, on)
            session.add(agreement)
            session.flush()
            step.record(AGREEMENT, agreement.id, "sign", None, AgreementState.ACTIVE,
                        f"有效期 {agreement.first_year}—{agreement.last_year} 年度")
        step.transition(DETERMINATION, det, "sign")  # after the agreement's id: one update of the determination
        det.agreement_id = agreement.id
        return Signed(inst.code, agreement.agreement_no, agreement.first_year, agreement.last_year)


def _sign_refusal(step: Step, det: Determination, final: Decimal | None = None) -> str | None:
    """Why the determination cannot be signed now (None: it can), as ``sign`` and the bulk signing say;
    ``final``: its advance capped by a security registered in the same step."""
    if final is None:
        if det.state not in (DeterminationState.LISTED, DeterminationState.SECURED):
            return f"当前为“{DETERMINATION.label(det.state)}”，不能签订预付协议"
        if det.security_id is None and step.profile.eligibility.security_required:
            return "须先办理担保、抵押手续再签订预付协议（10§(二)、15§(三)）"
        final = sum((a.final_amount if a.final_amount is not None else a.amount for a in det.advances), Decimal(0))
    if final <= 0:
        # 13§: capped below the minimum; a larger security may still be registered in the window
        return "按登记的担保、抵押额度限额后预付金额不足最低额，不签订预付协议；可在签约期内登记更高额度的担保、抵押"
    return None


def _new_agreement(step: Step, inst: Institution, on: dt.date) -> Agreement:
    """16§: an agreement for the agreement years from this one."""
    year, years = step.year, step.profile.calendar.agreement_years
    return Agreement(institution_id=inst.id, agreement_no=f"YF-{step.region.code}-{year}-{inst.code}",
                     first_year=year, last_year=year + years - 1, signed_on=on, signed_by=step.actor.username,
                     state=AgreementState.ACTIVE)


BULK_MAX = 20_000  # a selection is at most the institutions of a list filtered on screen


@dataclass(frozen=True)
class WindowDone:
    """What one bulk step of the signing window did (批量办理)."""

    secured: tuple[str, ...]  # institutions whose security was registered
    signed: tuple[str, ...]  # institutions that signed (an agreement still running covers some: 16§)
    agreements: int  # new agreements among them


def register_and_sign(sessions: sessionmaker, region_code: str, year: int, codes: list[str], on: dt.date, user: str,
                      *, security: tuple[SecurityKind, str] | None = None, sign: bool = True,
                      covered: Decimal | None = None) -> WindowDone:
    """15§(三), 13§, 16§ for a selection of listed institutions in one step (批量办理): each institution's
    security registered and/or its agreement signed, as ``register_security`` and ``sign`` would one by one:
    the same checks, a transition recorded per institution. All or nothing: every institution refused is
    named, and nothing is written.

    The security registered in bulk is one **credit guarantee letter** (信用担保, 10§(二): the state-run
    institutions' sponsor guaranteeing them, ``security`` its reference) that states the total it covers,
    ``covered``: each institution's guarantee is its determined advance, and the selection's advances together
    must fit in the letter's total (13§: an advance never exceeds its security). An asset pledge has its own
    registration and value: it is registered one by one, or imported. An institution that holds a security
    already (registered this year, or one of an earlier year still valid) is refused: replacing it is done
    one by one, where its value is typed.

    Set-based: the selection's determinations are read and locked in one statement per thousand, the
    pledges and agreements inserted in batches, the transitions recorded in one insert per state."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not wanted:
        raise ServiceError("请选择机构", "institution")
    if len(wanted) > BULK_MAX:
        raise ServiceError(f"一次最多办理 {BULK_MAX:,} 家机构", "institution")
    if security is None and not sign:
        raise ServiceError("请选择登记担保或签订协议", "action")
    if security is not None:
        if security[0] != SecurityKind.CREDIT_GUARANTEE:
            raise ServiceError("批量登记只适用于同一份信用担保函；资产抵押须逐家登记（各有登记证明号和抵押额）", "kind")
        if not security[1].strip() or len(security[1]) > 100:
            raise ServiceError("须填写担保函编号（不超过 100 个字符）", "registration_ref")
        if covered is None or covered <= 0 or covered > MONEY_MAX:
            raise ServiceError("须填写担保函载明的担保总额（元）", "covered")
    with campaign_step(sessions, user, region_code, year, Department.FUND_SETTLEMENT) as step:
        _within_window(step, on)
        found = _selection(step, wanted)
        problems = [(f"机构 {code[:20]}", f"不在 {year} 年度核定结果中") for code in wanted if code not in found]
        running = _running_agreements(step, [inst.id for _, inst in found.values()])
        values: dict[str, Decimal] = {}
        if security is not None:
            kind, ref = security
            held = pledges_valid_on(step.session, step.region, on)
            for code, (det, inst) in found.items():
                values[code] = sum((a.amount for a in det.advances), Decimal(0))
                try:
                    if det.state != DeterminationState.LISTED or det.security_id is not None or inst.id in held:
                        raise ServiceError("已有担保、抵押（或当前不是“已列入名单”）：更换或补充须逐家办理", "state")
                    _check_security(step, inst, kind, values[code], ref)
                    if _security_until(step, running.get(inst.id)) < det.qualification_end:
                        raise ServiceError(f"担保、抵押有效期须至少覆盖本年度资格期（至 {det.qualification_end}）", "on")
                except ServiceError as err:
                    problems.append((f"机构 {code}", err.message))
            total, letter = sum(values.values(), Decimal(0)), covered or Decimal(0)
            if not problems and total > letter:
                problems.append(("担保总额", f"所选 {len(values)} 家机构核定预付金额合计 {fmt_yuan_cn(total)} 元，"
                                            f"超过担保函载明的 {fmt_yuan_cn(letter)} 元（13§）"))
        if problems:
            raise Refused(_capped_list(problems), "institution", "所选机构", len(problems))
        finals = _register_many(step, found, values, security, on, running) if security is not None else None
        signed, agreements = _sign_many(step, found, on, running, finals) if sign else ((), 0)
        return WindowDone(tuple(finals or ()), signed, agreements)


PROBLEMS_LISTED = 200  # a refused selection names this many institutions, and counts them all


def _capped_list(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(problems) <= PROBLEMS_LISTED:
        return problems
    return [*problems[:PROBLEMS_LISTED], ("所选机构", f"另有 {len(problems) - PROBLEMS_LISTED:,} 家不符合条件，未逐一列出")]


def _selection(step: Step, codes: list[str]) -> dict[str, tuple[Determination, Institution]]:
    """The selection's determinations of the fixed list, locked, with their advances, by code."""
    found = {}
    for n in range(0, len(codes), 1000):
        for det, inst in step.session.execute(
                select(Determination, Institution).join(Institution, Institution.id == Determination.institution_id)
                .where(Institution.region_id == step.region.id, Institution.code.in_(codes[n:n + 1000]),
                       Determination.campaign_id == step.campaign.id,
                       Determination.run == step.campaign.determination_run)
                .options(selectinload(Determination.advances)).with_for_update(of=Determination)):
            found[inst.code] = (det, inst)
    return found


def _running_agreements(step: Step, institution_ids: list[int]) -> dict[int, int]:
    """Institution id → the last year of its agreement running in the step's year (16§)."""
    running = {}
    for n in range(0, len(institution_ids), 1000):
        running.update(step.session.execute(
            select(Agreement.institution_id, Agreement.last_year).where(
                Agreement.institution_id.in_(institution_ids[n:n + 1000]), Agreement.state == AgreementState.ACTIVE,
                Agreement.first_year <= step.year, Agreement.last_year >= step.year)).all())
    return running


def _register_many(step: Step, found: dict, values: dict[str, Decimal], security: tuple[SecurityKind, str],
                   on: dt.date, running: dict[int, int]) -> dict[str, Decimal]:
    """The selection's pledges inserted, their determinations secured and capped (13§), in a few statements;
    returns each institution's advance as capped."""
    kind, ref = security
    session, codes = step.session, list(found)
    pledges = SecurityPledge.__table__
    ids = session.connection().execute(insert(pledges).returning(pledges.c.id, sort_by_parameter_order=True), [
        dict(institution_id=found[code][1].id, kind=kind, value=values[code], registration_ref=ref, valid_from=on,
             valid_until=_security_until(step, running.get(found[code][1].id)), replaces_id=None)
        for code in codes]).scalars().all()
    by_state: dict[str, list[int]] = {}
    for code in codes:
        by_state.setdefault(found[code][0].state, []).append(found[code][0].id)
    reasons = {found[code][0].id: f"{ref} {fmt_yuan_cn(values[code])} 元（批量办理）" for code in codes}
    for state, dets in by_state.items():
        step.transition_many(DETERMINATION, Determination, dets, state, "register_security", reasons)
    _update_by_id(session, Determination.__table__, [dict(b_id=found[code][0].id, security_id=pledge)
                                                     for code, pledge in zip(codes, ids)])
    finals, advances = {}, []
    for code in codes:
        capped = _capped(step, found[code][0], Security(kind, values[code]))
        finals[code] = sum((final.amount for _, final, _ in capped), Decimal(0))
        advances += [dict(b_id=a.id, final_amount=final.amount, final_cap=final.cap, final_reasons_json=reasons_json)
                     for a, final, reasons_json in capped]
    _update_by_id(session, DeterminationAdvance.__table__, advances)
    return finals


def _update_by_id(session: Session, table, rows: list[dict]) -> None:
    """One executemany UPDATE of ``rows`` (each its ``b_id`` and the columns to set) on ``table``."""
    if rows:
        columns = [k for k in rows[0] if k != "b_id"]
        session.connection().execute(update(table).where(table.c.id == bindparam("b_id"))
                                     .values({c: bindparam(c) for c in columns}), rows)


def _sign_many(step: Step, found: dict, on: dt.date, running: dict[int, int],
               finals: dict[str, Decimal] | None = None) -> tuple[tuple[str, ...], int]:
    """The selection's agreements signed (16§: one still running covers the year), in a few statements."""
    problems = [(f"机构 {code}", refusal) for code, (det, _) in found.items()
                if (refusal := _sign_refusal(step, det, finals.get(code) if finals else None))]
    if problems:
        raise Refused(_capped_list(problems), "institution", "所选机构", len(problems))
    session, codes = step.session, list(found)
    new = [code for code in codes if found[code][1].id not in running]
    agreement_of: dict[int, int] = {}
    if new:
        years = step.profile.calendar.agreement_years
        agreements = Agreement.__table__
        ids = session.connection().execute(insert(agreements).returning(agreements.c.id, sort_by_parameter_order=True), [
            dict(institution_id=found[code][1].id, agreement_no=f"YF-{step.region.code}-{step.year}-{code}",
                 first_year=step.year, last_year=step.year + years - 1, signed_on=on, signed_by=step.actor.username,
                 state=AgreementState.ACTIVE) for code in new]).scalars().all()
        agreement_of.update(zip((found[code][1].id for code in new), ids))
        step.created_many(AGREEMENT, list(ids), "sign", AgreementState.ACTIVE,
                          f"有效期 {step.year}—{step.year + years - 1} 年度（批量办理）")
    old = [found[code][1].id for code in codes if found[code][1].id in running]
    for n in range(0, len(old), 1000):
        agreement_of.update(session.execute(select(Agreement.institution_id, Agreement.id).where(
            Agreement.institution_id.in_(old[n:n + 1000]), Agreement.state == AgreementState.ACTIVE,
            Agreement.first_year <= step.year, Agreement.last_year >= step.year)).all())
    by_state: dict[str, list[int]] = {}
    for code in codes:
        det = found[code][0]
        # a security registered in this step moved it to secured already
        by_state.setdefault(DeterminationState.SECURED if finals else det.state, []).append(det.id)
    for state, dets in by_state.items():
        step.transition_many(DETERMINATION, Determination, dets, state, "sign", "批量办理")
    _update_by_id(session, Determination.__table__, [dict(b_id=found[code][0].id,
                                                          agreement_id=agreement_of[found[code][1].id])
                                                     for code in codes])
    return tuple(codes), len(new)
