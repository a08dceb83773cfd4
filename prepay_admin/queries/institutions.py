"""A region's designated institutions: the searchable list, and everything about one of them —
its data, annual standings, conditions and bars (10§, 21§(六)), securities (13§), determinations with
their breakdown and reasons, agreements (16§), its sub-ledger per fund (21§(一)) and the history
of its transitions."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from accounting import reports
from accounting.ledger import find_book

from ..models import (
    Agreement,
    AnnualStanding,
    Application,
    Bar,
    Campaign,
    Determination,
    Institution,
    InstitutionCondition,
    PaymentBatch,
    PaymentInstruction,
    Region,
    SecurityPledge,
    Transition,
)
from ..policy.conditions import SELF_CHECK
from ..policy.facts import Fund
from ..policy.reasons import ASSESSMENT_CN, LEVEL_CN, MESSAGES
from ..policy.transitions import AGREEMENT, DETERMINATION, PAYMENT
from ..services.conditions import condition_label
from ..services.errors import NotFound, ServiceError
from ..services.facts import raised_of_institution
from ..services.positions import held_by_institution, positions
from ..services.rules import effective_profile
from ..services.unit_of_work import find_region
from .audit_trail import TrailLine, trail_lines
from .deposit import DepositStanding, standing_in
from .matching import like, starting
from .overview import DeterminedAdvance, reason_texts

SECURITY_CN = {"pledge": "资产抵押", "credit_guarantee": "信用担保"}


@dataclass(frozen=True)
class InstitutionLine:
    code: str
    name: str
    kind: str
    level_cn: str
    settled_since: dt.date
    bank_name: str
    bank_account: str


@dataclass(frozen=True)
class InstitutionList:
    rows: tuple[InstitutionLine, ...]
    count: int


def institution_list(sessions: sessionmaker, region_code: str, page: int, size: int,
                     search: str | None = None) -> InstitutionList:
    """The region's institutions by code, optionally those whose code or name contains ``search``
    (``size`` 0: all of them, for the export)."""
    with sessions() as session:
        region = find_region(session, region_code)
        where = [Institution.region_id == region.id]
        if search:
            where.append(or_(Institution.code.like(like(search), escape="\\"),
                             Institution.name.like(like(search), escape="\\")))
        count = session.scalar(select(func.count()).select_from(Institution).where(*where))
        query = select(Institution).where(*where).order_by(Institution.code)
        if size:
            query = query.offset((page - 1) * size).limit(size)
        return InstitutionList(tuple(_line(i) for i in session.scalars(query)), count)


SUGGESTED = 20  # what the picker lists under a code field as staff type


def suggestions(sessions: sessionmaker, region_code: str, text: str, limit: int = SUGGESTED) -> tuple[tuple[str, str], ...]:
    """The picker's list (issue 30: an institution picker wherever a code is typed): (code, name) of the
    region's institutions whose code starts with ``text`` or whose name contains it, codes first. Two
    index range reads at most, whatever the region's size (a name match scans names, limited)."""
    text = text.strip()
    if not text:
        return ()
    with sessions() as session:
        region = find_region(session, region_code)
        found = list(session.execute(select(Institution.code, Institution.name).where(
            Institution.region_id == region.id, Institution.code.like(starting(text), escape="\\"))
            .order_by(Institution.code).limit(limit)).all())
        if len(found) < limit:
            seen = {code for code, _ in found}
            found += [row for row in session.execute(select(Institution.code, Institution.name).where(
                Institution.region_id == region.id, Institution.name.like(like(text), escape="\\"))
                .order_by(Institution.code).limit(limit)) if row[0] not in seen][:limit - len(found)]
        return tuple((code, name) for code, name in found)


def resolve_institution(sessions: sessionmaker, region_code: str, typed: str) -> str:
    """The code of the institution staff typed: a code exactly (a mistyped one is never another institution's),
    or a name, or part of one, that fits exactly one institution of the region; a ``ServiceError`` naming the
    candidates when the name fits several, or none (screens only: files and the API take codes)."""
    typed = typed.strip()
    if typed.isascii() and typed.replace(" ", "").isalnum():  # a code: said as the services say it
        code = typed.replace(" ", "").upper()
        with sessions() as session:
            region = find_region(session, region_code)
            if session.scalar(select(Institution.id).where(Institution.region_id == region.id,
                                                           Institution.code == code)) is None:
                raise ServiceError(f"没有定点医药机构 {code}", "institution")
        return code
    with sessions() as session:
        region = find_region(session, region_code)
        found = session.execute(select(Institution.code, Institution.name).where(
            Institution.region_id == region.id, Institution.name.like(like(typed), escape="\\"))
            .order_by(Institution.code).limit(6)).all()
    exact = [code for code, name in found if name == typed]
    if len(exact) == 1 or len(found) == 1:
        return exact[0] if exact else found[0][0]
    if not found:
        raise ServiceError(f"没有名称含“{typed}”的机构", "institution")
    shown = "、".join(f"{code}（{name}）" for code, name in found[:5])
    raise ServiceError(f"“{typed}”对应多家机构：{shown}{'等' if len(found) > 5 else ''}，请选择或填写编码", "institution")


def _line(i: Institution) -> InstitutionLine:
    return InstitutionLine(i.code, i.name, i.kind, LEVEL_CN.get(i.level, str(i.level)), i.settled_since,
                           i.bank_name, i.bank_account)


@dataclass(frozen=True)
class StandingLine:
    year: int
    assessment: str
    performance_score: Decimal
    credit_grade: str


@dataclass(frozen=True)
class ConditionLine:
    year: int
    condition: str
    evidence: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class BarLine:
    since: dt.date
    until: dt.date
    reason: str
    decision_ref: str


@dataclass(frozen=True)
class SecurityLine:
    id: int
    kind: str
    value: Decimal
    registration_ref: str
    valid_from: dt.date
    valid_until: dt.date
    replaces_id: int | None


@dataclass(frozen=True)
class DeterminationLine:
    year: int
    run: int
    latest: bool  # of the campaign's latest determination run
    state: str
    eligible: bool
    months: Decimal | None
    ratio: Decimal | None
    qualification: tuple[dt.date, dt.date]
    reasons: tuple[str, ...]
    advances: tuple[DeterminedAdvance, ...]
    computed_by: str
    computed_at: dt.datetime


@dataclass(frozen=True)
class AgreementLine:
    agreement_no: str
    first_year: int
    last_year: int
    signed_on: dt.date
    signed_by: str
    state: str


@dataclass(frozen=True)
class PaymentLine:
    id: int
    fund: Fund
    amount: Decimal
    state: str
    issued_on: dt.date
    paid_on: dt.date | None
    bank_ref: str | None


@dataclass(frozen=True)
class RaisedLine:
    """A condition of 10§ raised by the applicant's self-check or by a recovery trigger (RULES §2)."""

    condition: str  # the key to lift it by
    condition_cn: str
    source: str  # self_check or trigger
    origin: str  # "2026 年度申请自查" or the trigger, with its day
    year: int | None  # the application's year
    lifted: str | None  # who lifted it, when, on what evidence


@dataclass(frozen=True)
class InstitutionPage:
    region_code: str
    region_name: str
    institution: InstitutionLine
    state_run: bool
    standings: tuple[StandingLine, ...]
    conditions: tuple[ConditionLine, ...]
    bars: tuple[BarLine, ...]
    securities: tuple[SecurityLine, ...]
    determinations: tuple[DeterminationLine, ...]
    agreements: tuple[AgreementLine, ...]
    payments: tuple[PaymentLine, ...]
    statements: dict[Fund, reports.AccountDetail]  # 暂付款—医保预付金 sub-ledger per fund book
    history: tuple[TrailLine, ...]
    raised: tuple[RaisedLine, ...] = ()
    # DEPOSIT.md item 8: the patients' side of the advance: its deposits against the reference, open findings
    deposits: DepositStanding | None = None
    held: dict[Fund, Decimal] | None = None  # 暂付款—医保预付金 it holds now, per fund (its positions)


def institution_page(sessions: sessionmaker, region_code: str, code: str, today: dt.date) -> InstitutionPage:
    with sessions() as session:
        region = find_region(session, region_code)
        inst = session.scalar(select(Institution).where(Institution.region_id == region.id, Institution.code == code))
        if inst is None:
            raise NotFound(f"{region.name} 没有定点医药机构 {code}", "institution")
        determinations = session.execute(
            select(Determination, Campaign).join(Campaign, Campaign.id == Determination.campaign_id)
            .where(Determination.institution_id == inst.id)
            .order_by(Campaign.year.desc(), Determination.run.desc())).all()
        agreements = session.scalars(select(Agreement).where(Agreement.institution_id == inst.id)
                                     .order_by(Agreement.first_year.desc())).all()
        payments = session.scalars(select(PaymentInstruction).where(
            PaymentInstruction.institution_code == inst.code,
            PaymentInstruction.batch_id.in_(_batches_of(region.id))).order_by(PaymentInstruction.id.desc())).all()
        return InstitutionPage(
            region.code, region.name, _line(inst), inst.state_run,
            tuple(StandingLine(s.year, ASSESSMENT_CN.get(s.assessment, s.assessment), s.performance_score,
                               s.credit_grade)
                  for s in session.scalars(select(AnnualStanding).where(AnnualStanding.institution_id == inst.id)
                                           .order_by(AnnualStanding.year.desc()))),
            tuple(ConditionLine(c.year, MESSAGES.get(c.flag, c.flag), c.evidence, c.recorded_at)
                  for c in session.scalars(select(InstitutionCondition).where(
                      InstitutionCondition.institution_id == inst.id).order_by(InstitutionCondition.year.desc()))),
            tuple(BarLine(b.since, b.until, b.reason, b.decision_ref)
                  for b in session.scalars(select(Bar).where(Bar.institution_id == inst.id).order_by(Bar.since))),
            tuple(SecurityLine(s.id, SECURITY_CN.get(s.kind, s.kind), s.value, s.registration_ref, s.valid_from,
                               s.valid_until, s.replaces_id)
                  for s in session.scalars(select(SecurityPledge).where(SecurityPledge.institution_id == inst.id)
                                           .order_by(SecurityPledge.id.desc()))),
            tuple(_determination(d, c) for d, c in determinations),
            tuple(AgreementLine(a.agreement_no, a.first_year, a.last_year, a.signed_on, a.signed_by,
                                AGREEMENT.label(a.state)) for a in agreements),
            tuple(PaymentLine(p.id, p.fund, p.amount, PAYMENT.label(p.state), p.issued_on, p.paid_on, p.bank_ref) for p in payments),
            _statements(session, region.code, inst.code, determinations, today),
            trail_lines(session, [_about(inst, determinations, agreements, payments)], limit=200),
            _raised(session, inst),
            standing_in(session, region, inst, today),
            _held(session, region.id, inst.id),
        )


def _held(session: Session, region_id: int, institution_id: int) -> dict[Fund, Decimal]:
    """What the institution holds of the advance, per fund: the one definition (``services.positions``)."""
    held = held_by_institution(session, region_id, positions(session, region_id, institution_id=institution_id))
    return {fund: held.get((institution_id, fund), Decimal("0.00")) for fund in Fund}


def _raised(session: Session, inst: Institution) -> tuple[RaisedLine, ...]:
    """What its applications' self-checks declared and its triggers carry, each with its lift if any:
    the same rule the determination applies (``services.facts.raised_of_institution``)."""
    region = session.get(Region, inst.region_id)
    allowed = lambda year: effective_profile(session, region, year).eligibility.assessments_allowed  # noqa: E731
    return tuple(RaisedLine(i.condition, condition_label(i.condition), i.source,
                            f"{i.year} 年度申请自查" if i.source == SELF_CHECK else i.origin, i.year, _lifted(i.lift))
                 for i in raised_of_institution(session, region, inst.id, allowed))


def _lifted(lift) -> str | None:
    return None if lift is None else f"{lift.lifted_on} 由 {lift.lifted_by} 解除：{lift.evidence}"


def _batches_of(region_id: int):
    return select(PaymentBatch.id).join(Campaign, Campaign.id == PaymentBatch.campaign_id).where(
        Campaign.region_id == region_id)


def _determination(d: Determination, c: Campaign) -> DeterminationLine:
    return DeterminationLine(
        c.year, d.run, d.run == c.determination_run, DETERMINATION.label(d.state), d.eligible, d.months, d.ratio,
        (d.qualification_start, d.qualification_end), reason_texts(json.loads(d.reasons_json)),
        tuple(DeterminedAdvance(a.fund, a.base, a.rounded, a.amount, a.final_amount,
                                reason_texts(json.loads(a.final_reasons_json or a.reasons_json))) for a in d.advances),
        d.computed_by, d.computed_at)


def _statements(session: Session, region_code: str, code: str, determinations, today: dt.date):
    """The sub-ledger from January of the first campaign year the institution took part in, to this month."""
    first = min((c.year for _, c in determinations), default=today.year)
    start, end = f"{min(first, today.year)}-01", f"{today:%Y-%m}"
    out = {}
    for fund in Fund:
        book = find_book(session, region_code, fund)
        if book is not None:
            out[fund] = reports.institution_statement(session, book.id, code, start, max(start, end))
    return out


def _about(inst: Institution, determinations, agreements, payments):
    """Transitions of the institution's applications, determinations, agreements and payments."""
    applications = select(Application.id).where(Application.institution_id == inst.id)
    return or_(
        (Transition.machine == "application") & Transition.object_id.in_(applications),
        (Transition.machine == "determination") & Transition.object_id.in_([d.id for d, _ in determinations] or [0]),
        (Transition.machine == "agreement") & Transition.object_id.in_([a.id for a in agreements] or [0]),
        (Transition.machine == "payment") & Transition.object_id.in_([p.id for p in payments] or [0]),
    )
