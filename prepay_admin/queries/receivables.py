"""What institutions owe back, as staff read it (RULES §5, §6): every receivable with what came back and
when, its route, its age and whether its demand is overdue; totals per fund that tie to the ledger's
暂付款—医保预付金; and the monthly settlement runs with their payment lists."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from accounting import reports
from accounting.chart import HELD_ROLES, Role
from accounting.ledger import find_book
from accounting.models import JournalLine, LedgerAccount

from ..db import money_sum
from ..models import (
    Institution,
    PreSettlement,
    PreSettlementSignOff,
    Receivable,
    RecoveryMovement,
    RecoveryTrigger,
    Region,
    SettlementLine,
    SettlementRun,
    Staff,
    Transition,
)
from ..policy.facts import Fund
from ..policy.recovery import CASE_CN, METHOD_CN, ROUTE_CN, TRIGGER_CN, age_band, age_in_days
from ..policy.transitions import PRESETTLEMENT, RECEIVABLE, RECEIVABLE_OPEN_STATES
from ..services.errors import NotFound
from ..services.receivables import overdue_on
from ..services.settlement import run_label
from ..services.unit_of_work import find_region
from .audit_trail import TrailLine, staff_names, trail_lines
from .matching import like

ZERO = Decimal("0.00")
MOVEMENT_CN = {"offset": "冲抵结算款", "refund": "机构交回", "write_off": "核销", "transfer": "转由承继方承担"}
OWING, SETTLED, EVERY = "owing", "settled", "all"  # the view's filter, not a state
STATUS = (OWING, SETTLED, EVERY)


@dataclass(frozen=True)
class ReceivableLine:
    id: int
    code: str
    name: str
    fund: str
    route: str
    route_cn: str
    method_cn: str
    since: dt.date
    amount: Decimal
    recovered: Decimal  # offset and refunded
    written_off: Decimal
    transferred: Decimal
    outstanding: Decimal
    state: str
    state_cn: str
    due_on: dt.date | None
    overdue_days: int  # past the demand's deadline, 0 when not overdue
    age_days: int
    age_band: str
    last_recovered_on: dt.date | None

    @property
    def owing(self) -> bool:
        """Still owed: withheld from settlements, refundable, transferable."""
        return self.state in RECEIVABLE_OPEN_STATES


@dataclass(frozen=True)
class FundTie:
    """The ledger's 暂付款 balance of a fund against what the receivables say is owed of it."""

    fund: str
    advance_balance: Decimal  # debit balance of 暂付款—医保预付金 (what the institutions hold)
    owed: Decimal  # still owed back over the open receivables
    not_due: Decimal  # held within a running qualification year
    over_claimed: int  # institutions owing more than they hold: 0 when the books tie


@dataclass(frozen=True)
class ReceivablePage:
    rows: tuple[ReceivableLine, ...]
    count: int
    ties: tuple[FundTie, ...]
    overdue: int
    today: dt.date


def _movement_sums():
    kind = RecoveryMovement.kind
    return (select(RecoveryMovement.receivable_id,
                   money_sum(case((kind.in_(("offset", "refund")), RecoveryMovement.amount), else_=0)).label("recovered"),
                   money_sum(case((kind == "write_off", RecoveryMovement.amount), else_=0)).label("written_off"),
                   money_sum(case((kind == "transfer", RecoveryMovement.amount), else_=0)).label("transferred"),
                   func.max(case((kind.in_(("offset", "refund")), RecoveryMovement.on))).label("last_on"))
            .group_by(RecoveryMovement.receivable_id).subquery())


def receivables(sessions: sessionmaker, region_code: str, today: dt.date, *, status: str = OWING,
                fund: Fund | None = None, overdue_only: bool = False, search: str | None = None,
                page: int = 1, size: int = 50) -> ReceivablePage:
    """The receivables view (``size`` 0: every row, for the export)."""
    with sessions() as session:
        region = find_region(session, region_code)
        sums = _movement_sums()
        where = [Receivable.region_id == region.id]
        if status == OWING:
            where.append(Receivable.state.in_(RECEIVABLE_OPEN_STATES))
        elif status == SETTLED:
            where.append(Receivable.state.not_in(RECEIVABLE_OPEN_STATES))
        if fund is not None:
            where.append(Receivable.fund == fund)
        overdue = overdue_on(today)
        if overdue_only:
            where.extend(overdue)
        if search:
            where.append(or_(Institution.code.like(like(search), escape="\\"),
                             Institution.name.like(like(search), escape="\\")))
        base = (select(Receivable, Institution.code, Institution.name, sums.c.recovered, sums.c.written_off,
                       sums.c.transferred, sums.c.last_on)
                .join(Institution, Institution.id == Receivable.institution_id)
                .outerjoin(sums, sums.c.receivable_id == Receivable.id).where(*where))
        count = session.scalar(select(func.count()).select_from(
            select(Receivable.id).join(Institution, Institution.id == Receivable.institution_id).where(*where).subquery()))
        query = base.order_by(Receivable.since, Institution.code, Receivable.fund)
        if size:
            query = query.offset((page - 1) * size).limit(size)
        rows = tuple(_line(r, code, name, rec, wo, tr, last, today) for r, code, name, rec, wo, tr, last in
                     session.execute(query))
        n_overdue = session.scalar(select(func.count()).select_from(Receivable).where(
            Receivable.region_id == region.id, *overdue))
        return ReceivablePage(rows, count, ties(session, region.id, region_code), n_overdue, today)


def _line(r: Receivable, code: str, name: str, recovered, written_off, transferred, last_on, today: dt.date) -> ReceivableLine:
    recovered, written_off, transferred = recovered or ZERO, written_off or ZERO, transferred or ZERO
    outstanding = r.amount - recovered - written_off - transferred
    late = r.state in RECEIVABLE_OPEN_STATES and r.due_on is not None and r.due_on < today and outstanding > 0
    age = age_in_days(r.since, today)
    if isinstance(last_on, str):  # SQLite returns MAX() of a date column as text
        last_on = dt.date.fromisoformat(last_on)
    return ReceivableLine(r.id, code, name, r.fund.value, r.route.value, ROUTE_CN[r.route], METHOD_CN[r.method],
                          r.since, r.amount, recovered, written_off, transferred, outstanding, r.state,
                          RECEIVABLE.label(r.state), r.due_on, (today - r.due_on).days if late else 0, age,
                          # a settled debt has no age (issue 30: settled ones still showed 账龄)
                          age_band(age) if r.state in RECEIVABLE_OPEN_STATES and outstanding > 0 else "—", last_on)


def ties(session: Session, region_id: int, region_code: str) -> tuple[FundTie, ...]:
    """Per fund: the ledger's balance, what is owed of it, and how many institutions owe more than they hold."""
    result = []
    done = select(RecoveryMovement.receivable_id, money_sum(RecoveryMovement.amount).label("amount")) \
        .group_by(RecoveryMovement.receivable_id).subquery()
    for fund in Fund:
        book = find_book(session, region_code, fund)
        balances: dict[str, Decimal] = {}
        for role in HELD_ROLES if book is not None else ():  # receivables are owed on both detail accounts
            for party, amount in reports.party_balances(session, book.id, role).items():
                balances[party] = balances.get(party, ZERO) + amount
        owed_rows = session.execute(
            select(Institution.code, money_sum(Receivable.amount - func.coalesce(done.c.amount, 0)))
            .join(Institution, Institution.id == Receivable.institution_id)
            .outerjoin(done, done.c.receivable_id == Receivable.id)
            .where(Receivable.region_id == region_id, Receivable.fund == fund,
                   Receivable.state.in_(RECEIVABLE_OPEN_STATES))
            .group_by(Institution.code)).all()
        owed = {code: amount for code, amount in owed_rows}
        balance = sum(balances.values(), ZERO)
        total_owed = sum(owed.values(), ZERO)
        over = sum(1 for code, amount in owed.items() if amount > balances.get(code, ZERO))
        result.append(FundTie(fund.value, balance, total_owed, balance - total_owed, over))
    return tuple(result)


@dataclass(frozen=True)
class YearEndDue:
    year: int  # the year whose year end is due (RULES §5: never a year already done)
    december_settled: tuple[str, ...]  # funds whose December of that year was settled already


def december_settled_of(sessions: sessionmaker, region_code: str, year: int) -> tuple[str, ...]:
    """The funds whose December of ``year`` was settled already (said before a year end is run)."""
    from ..services.year_end import december_settled

    if not 1 <= year <= 9998:
        return ()
    with sessions() as session:
        return december_settled(session, find_region(session, region_code).id, year)


def year_end_due(sessions: sessionmaker, region_code: str, today: dt.date) -> YearEndDue:
    from ..services.year_end import december_settled, due_year

    with sessions() as session:
        region = find_region(session, region_code)
        year = due_year(session, region.id, today)
        return YearEndDue(year, december_settled(session, region.id, year))


@dataclass(frozen=True)
class MovementLine:
    kind_cn: str
    amount: Decimal
    on: dt.date
    ref: str
    ledger_entry_id: int | None
    recorded_by: str


@dataclass(frozen=True)
class ReceivableDetail:
    line: ReceivableLine
    reason: str
    region_code: str
    trigger: str | None  # the trigger and its evidence
    demand_ref: str | None
    demanded_on: dt.date | None
    case: str | None
    case_documents: str | None
    transferred_from_id: int | None
    year_end_of: int | None  # the year whose year end made it owed (its notice can be issued)
    movements: tuple[MovementLine, ...]
    history: tuple[TrailLine, ...]
    actions: tuple[str, ...]  # what the receivable's state allows next
    court_action: str = "提起诉讼"  # the profile's wording of the court route (HB 五: 依法申请强制执行)


def receivable_detail(sessions: sessionmaker, receivable_id: int, today: dt.date) -> ReceivableDetail:
    with sessions() as session:
        r = session.get(Receivable, receivable_id)
        if r is None:
            raise NotFound(f"没有应收回记录 {receivable_id}", "receivable")
        inst = session.get(Institution, r.institution_id)
        sums = _movement_sums()
        rec, wo, tr, last = session.execute(select(sums.c.recovered, sums.c.written_off, sums.c.transferred,
                                                   sums.c.last_on).where(sums.c.receivable_id == r.id)).first() \
            or (None, None, None, None)
        line = _line(r, inst.code, inst.name, rec, wo, tr, last, today)
        trigger = None
        if r.trigger_id is not None:
            t = session.get(RecoveryTrigger, r.trigger_id)
            trigger = f"{TRIGGER_CN[t.kind]}（{t.occurred_on}，{t.evidence}，{t.reported_by} 登记）"
        movements = tuple(MovementLine(MOVEMENT_CN.get(m.kind, m.kind), m.amount, m.on, m.ref, m.ledger_entry_id,
                                       m.recorded_by)
                          for m in session.scalars(select(RecoveryMovement).where(
                              RecoveryMovement.receivable_id == r.id).order_by(RecoveryMovement.on, RecoveryMovement.id)))
        history = trail_lines(session, [Transition.machine == RECEIVABLE.name, Transition.object_id == r.id])
        region = session.get(Region, r.region_id)
        case_text = f"{r.court} {r.case_ref}（{r.case_filed_on} 立案）" if r.case_ref else None
        year_end_of = int(r.origin.split(":")[1]) if r.origin.startswith("year-end:") else None
        from ..services.rules import effective_profile

        court_action = effective_profile(session, region, r.since.year).year_end.court_action
        return ReceivableDetail(line, r.reason, region.code, trigger, r.demand_ref, r.demanded_on, case_text,
                                r.case_documents, r.transferred_from_id, year_end_of, movements, history,
                                RECEIVABLE.actions_from(r.state), court_action)


@dataclass(frozen=True)
class RunLine:
    id: int
    month: dt.date
    fund: str
    settled_on: dt.date
    institutions: int
    payable: Decimal
    withheld: Decimal
    held: Decimal
    released: Decimal
    net: Decimal
    run_by: str
    kind: str = "monthly"

    @property
    def label(self) -> str:
        """What was settled: a month (2026-03 月度结算) or a year's clearing (2025 年度清算)."""
        return run_label(self.kind, self.month)


def settlement_runs(sessions: sessionmaker, region_code: str) -> tuple[RunLine, ...]:
    with sessions() as session:
        region = find_region(session, region_code)
        return tuple(RunLine(r.id, r.month, r.fund.value, r.settled_on, r.institutions, r.payable, r.withheld, r.held,
                             r.released, r.net, r.run_by, r.kind)
                     for r in session.scalars(select(SettlementRun).where(SettlementRun.region_id == region.id)
                                              .order_by(SettlementRun.month.desc(), SettlementRun.fund)))


@dataclass(frozen=True)
class PaymentLine:
    code: str
    name: str
    payable: Decimal
    withheld: Decimal
    held: Decimal
    released: Decimal
    net: Decimal
    still_owed: Decimal
    note: str
    bank_name: str
    bank_account: str


@dataclass(frozen=True)
class RunSheet:
    run: RunLine
    region_code: str
    region_name: str
    lines: tuple[PaymentLine, ...]
    count: int
    # credited to the paying accounts by the run's vouchers: RULES §7 (turn 3) posts only held money released
    ledger_net: Decimal
    ledger_withheld: Decimal  # credited to 暂付款 (医保预付金 and 月度预结金) by them

    @property
    def ties(self) -> bool:
        return self.ledger_net == self.run.released and self.ledger_withheld == self.run.withheld


def settlement_run(sessions: sessionmaker, run_id: int, *, page: int = 1, size: int = 100,
                   search: str | None = None, payments_only: bool = False) -> RunSheet:
    """A run with its lines (``size`` 0: all, for the bank's payment list) and its tie to the ledger."""
    with sessions() as session:
        r = session.get(SettlementRun, run_id)
        if r is None:
            raise NotFound(f"没有月度结算 {run_id}", "run")
        region = session.get(Region, r.region_id)
        where = [SettlementLine.run_id == r.id]
        if payments_only:
            where.append(SettlementLine.net > ZERO)
        if search:
            where.append(or_(SettlementLine.institution_code.like(like(search), escape="\\"),
                             SettlementLine.institution_name.like(like(search), escape="\\")))
        count = session.scalar(select(func.count()).select_from(SettlementLine).where(*where))
        query = select(SettlementLine).where(*where).order_by(SettlementLine.institution_code)
        if size:
            query = query.offset((page - 1) * size).limit(size)
        lines = tuple(PaymentLine(l.institution_code, l.institution_name, l.payable, l.withheld, l.held, l.released,
                                  l.net, l.still_owed, l.note, l.bank_name, l.bank_account)
                      for l in session.scalars(query))
        posted = dict(session.execute(
            select(LedgerAccount.role, money_sum(JournalLine.credit))
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(JournalLine.entry_id.in_(select(SettlementLine.ledger_entry_id).where(SettlementLine.run_id == r.id)),
                   LedgerAccount.role.in_((Role.EXPENDITURE_DEPOSIT, Role.FISCAL_SPECIAL_DEPOSIT, *HELD_ROLES)))
            .group_by(LedgerAccount.role)).all())
        run = RunLine(r.id, r.month, r.fund.value, r.settled_on, r.institutions, r.payable, r.withheld, r.held,
                      r.released, r.net, r.run_by, r.kind)
        bank = posted.get(Role.EXPENDITURE_DEPOSIT, ZERO) + posted.get(Role.FISCAL_SPECIAL_DEPOSIT, ZERO)
        return RunSheet(run, region.code, region.name, lines, count, bank,
                        sum((posted.get(role, ZERO) for role in HELD_ROLES), ZERO))


@dataclass(frozen=True)
class PresettlementLine:
    id: int
    code: str
    name: str
    fund: str
    month: dt.date
    case_cn: str
    incurred: Decimal
    settled: Decimal
    budget_left: Decimal | None
    amount: Decimal
    state: str
    state_cn: str
    next_level: str | None  # the title of the level whose turn it is


@dataclass(frozen=True)
class SignOffLine:
    level: str
    signer: str
    signed_at: dt.datetime
    comment: str


@dataclass(frozen=True)
class PresettlementDetail:
    line: PresettlementLine
    region_code: str
    limit_note: str
    application_ref: str
    reason: str
    bank_name: str
    bank_account: str
    levels: tuple[str, ...]
    sign_offs: tuple[SignOffLine, ...]
    hash: str
    paid_on: dt.date | None
    bank_ref: str | None
    receivable_id: int | None
    history: tuple[TrailLine, ...]
    # as the viewer (``presettlement_detail(..., username)``) sees it: whether they sign the next level now, and
    # if not, why (another department's level, or a level they signed already: 24§(五), maker ≠ checker)
    can_sign: bool = False
    sign_refusal: str | None = None


def _chain(session: Session, p: PreSettlement, known: dict | None = None):
    """The pre-settlement's levels: its case's chain in the profile of its region's year (RULES §4)."""
    from ..services.presettlement import chain_of
    from ..services.rules import effective_profile

    known = {} if known is None else known
    key = (p.region_id, p.month.year)
    if key not in known:
        known[key] = effective_profile(session, session.get(Region, p.region_id), p.month.year)
    return chain_of(known[key], p.case)


def _presettlement_line(session: Session, p, code: str, name: str, known: dict | None = None) -> PresettlementLine:
    from ..services.presettlement import next_level

    level = next_level(session, p, _chain(session, p, known))
    return PresettlementLine(p.id, code, name, p.fund.value, p.month, CASE_CN[p.case], p.incurred, p.settled,
                             p.budget_left, p.amount, p.state, PRESETTLEMENT.label(p.state),
                             level.title if level else None)


def presettlements(sessions: sessionmaker, region_code: str) -> tuple[PresettlementLine, ...]:
    with sessions() as session:
        region = find_region(session, region_code)
        rows = session.execute(select(PreSettlement, Institution.code, Institution.name)
                               .join(Institution, Institution.id == PreSettlement.institution_id)
                               .where(PreSettlement.region_id == region.id).order_by(PreSettlement.id.desc()))
        known: dict = {}
        return tuple(_presettlement_line(session, p, code, name, known) for p, code, name in rows)


def presettlement_detail(sessions: sessionmaker, presettlement_id: int, username: str | None = None) -> PresettlementDetail:
    from ..services.presettlement import hash_of, refusal_to_sign, signed_levels

    with sessions() as session:
        p = session.get(PreSettlement, presettlement_id)
        if p is None:
            raise NotFound(f"没有月度预结金 {presettlement_id}", "presettlement")
        inst = session.get(Institution, p.institution_id)
        names = staff_names(session)
        chain = _chain(session, p)
        signs = tuple(SignOffLine(chain.title_of(s.level), names.get(s.signer, s.signer), s.signed_at, s.comment)
                      for s in session.scalars(select(PreSettlementSignOff).where(
                          PreSettlementSignOff.presettlement_id == p.id).order_by(PreSettlementSignOff.id)))
        history = trail_lines(session, [Transition.machine == PRESETTLEMENT.name, Transition.object_id == p.id])
        region = session.get(Region, p.region_id)
        refusal = None
        viewer = session.scalar(select(Staff).where(Staff.username == username)) if username else None
        if viewer is not None:
            refused = refusal_to_sign(p, chain, signed_levels(session, p), viewer.department, viewer.username,
                                      viewer.name)
            refusal = None if refused is None else refused.message
        return PresettlementDetail(_presettlement_line(session, p, inst.code, inst.name), region.code, p.limit_note,
                                   p.application_ref, p.reason, p.bank_name, p.bank_account,
                                   tuple(level.title for level in chain.levels), signs, hash_of(p, inst.code),
                                   p.paid_on, p.bank_ref, p.receivable_id, history,
                                   viewer is not None and refusal is None, refusal)
