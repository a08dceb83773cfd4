"""A replayable simulation of whole years, to prove that no fault loses or doubles a yuan.

An orchestrator, like the scheduler: it drives the use cases (``services``) and checks the read side's
invariants (``queries``), so it stands above both.

``simulate`` plays ``years`` random but valid years of one region through the real use cases: the
year's facts (scores drawn afresh, so institutions fall in and out of the list), a year's override
now and then (14§), the campaign (applications, determination, list, securities, agreements, the four
sign-offs with a level returning the batch, payment and confirmation), the monthly settlement runs,
recovery triggers with their stories (offset, refund, lawsuit and write-off), and the year end.

After every committed use case it checks every money invariant (``queries.invariants``): the ledger
balanced and chained, each sub-ledger reconciled with its records, no advance paid twice, the
receivables tied to the ledger, and, at the dates where it is meaningful, nobody above its security.
The hash chain is taken up after the heads the step before verified, and recomputed whole at the end
of every year, so a long run's cost does not grow with the square of its ledger.

With ``faults`` it also injects: a crash at commit (the transaction is lost, as when the process is
killed), after which the step is run again; retried calls (a confirmation, a settlement run, a trigger,
a refund sent again), which must change nothing; and two identical settlement runs at once, from two
threads. Every choice comes from one ``random.Random(seed)`` in the main thread (crashes are not
injected while threads run), so a failing seed replays exactly.
"""
from __future__ import annotations

import datetime as dt
import random
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import sessionmaker

from accounting.verify import chain_heads

from . import clock
from .db import session_factories
from .models import (
    AnnualClearing,
    AnnualStanding,
    FundPositionRecord,
    Institution,
    MonthlyPayout,
    PaymentInstruction,
    Receivable,
    Region,
    SettlementRun,
)
from .policy.departments import Department
from .policy.facts import Fund
from .policy.recovery import Method, PresettlementCase, Route, TriggerKind
from .policy.transitions import PaymentState, ReceivableState
from .queries.invariants import broken
from .services import payment, presettlement, receivables, settlement, triggers, year_end
from .services.demo import load_demo_region
from .services.demo_cycle import ensure_demo_staff, play_cycle
from .services.demo_return import next_year_payouts
from .services.errors import ServiceError
from .services.policy import record_override
from .services.regions import check_region
from .services.rules import effective_profile

CRASH_RATE = 0.04  # of commits, with faults
# who signs a pre-settlement's levels (jiesuan1 proposes it, so another of the department prepares it)
PRESETTLEMENT_SIGNERS = {Department.FUND_SETTLEMENT: "jiesuan2", Department.FINANCE: "caiwu1",
                         Department.INTERNAL_AUDIT: "neishen1", Department.ADMINISTRATION: "yibaoju1",
                         Department.FINANCE_BUREAU: "caizhengju1"}
RETRIES_PER_PHASE = 200  # a phase that crashes this often in a row is a bug, not bad luck
STORY_KINDS = (TriggerKind.ASSET_SEIZURE, TriggerKind.OWNERSHIP_CHANGE, TriggerKind.AGREEMENT_SUSPENDED,
               TriggerKind.UNFULFILLED_JUDGMENT, TriggerKind.MISUSE)


class SimulatedCrash(Exception):
    """The process died at this commit: nothing of the transaction was kept."""


class InvariantBroken(Exception):
    def __init__(self, step: int, problems: list[str]):
        super().__init__(problems[0])
        self.step, self.problems = step, problems


@dataclass
class SimulationResult:
    seed: int
    years: int
    institutions: int
    faults: bool
    steps: int = 0  # committed use cases, each followed by the check of every invariant
    crashes: int = 0
    retries: int = 0
    concurrent: int = 0
    payments: int = 0
    settlement_runs: int = 0
    triggers: int = 0
    presettlements: int = 0
    broken_at: int | None = None  # the step after which an invariant did not hold
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def simulate(sessions: sessionmaker, *, years: int, institutions: int, seed: int, faults: bool = False,
             region_code: str = "329900", profile: str = "nantong-2025",
             progress: Callable[[str], None] = lambda s: None) -> SimulationResult:
    if not 1 <= years <= 20:
        raise ServiceError("模拟年度数须在 1—20 之间", "years")
    if not 3 <= institutions <= 2000:
        raise ServiceError("模拟机构数须在 3—2,000 之间", "institutions")
    check_region(region_code, "模拟统筹地区")
    with sessions() as session:
        if session.scalar(select(Region.id).where(Region.code == region_code)) is not None:
            raise ServiceError(f"统筹地区 {region_code} 已存在：模拟须在新的数据库或新的地区编码上运行", "region_code")
    run = _Run(sessions, random.Random(seed), faults, SimulationResult(seed, years, institutions, faults), progress)
    try:
        run.install()
        run.play(region_code, years, institutions, seed, profile)
    except InvariantBroken as err:
        run.result.broken_at, run.result.problems = err.step, err.problems
    finally:
        run.remove()
    return run.result


class _Run:
    def __init__(self, sessions: sessionmaker, rng: random.Random, faults: bool, result: SimulationResult,
                 progress: Callable[[str], None]):
        self.sessions, self.rng, self.faults, self.result, self.progress = sessions, rng, faults, result, progress
        self.cover_on: dt.date | None = None  # the business date nobody may hold more than its security on
        self.crashing = faults
        self.checking = False
        self.plans: dict[int, str] = {}
        self.ceased: dict[int, dt.date] = {}  # institution → the month from which it settles no more
        self.heads: dict[int, tuple[int, str]] | None = None  # each book's chain head verified so far  # each triggered receivable's story: offset, refund, or lawsuit and write-off

    # -- the hooks: a crash before a commit, every invariant after it ------------------------------
    def install(self) -> None:
        for factory in session_factories(self.sessions):
            event.listen(factory, "before_commit", self._before_commit)
            event.listen(factory, "after_commit", self._after_commit)

    def remove(self) -> None:
        for factory in session_factories(self.sessions):
            event.remove(factory, "before_commit", self._before_commit)
            event.remove(factory, "after_commit", self._after_commit)

    def _before_commit(self, session) -> None:
        if self.crashing and not self.checking and self.rng.random() < CRASH_RATE:
            self.result.crashes += 1
            raise SimulatedCrash()

    def _after_commit(self, session) -> None:
        if self.checking or threading.current_thread() is not threading.main_thread():
            return  # two requests at once are one step, checked once both have answered
        self.check()

    def check(self, whole_chain: bool = False) -> None:
        """Every invariant after a step; the hash chain from the heads verified after the step before
        (each book's chain is recomputed whole at the end of every year and of the run)."""
        if not whole_chain:
            self.result.steps += 1
        self.checking = True
        try:
            problems = broken(self.sessions, self.cover_on, None if whole_chain else self.heads)
            if not problems:
                with self.sessions() as session:
                    self.heads = chain_heads(session)
        finally:
            self.checking = False
        if problems:
            raise InvariantBroken(self.result.steps, problems)

    def expect(self, holds: bool, problem: str) -> None:
        """A retried call must answer with its first result and change nothing."""
        if not holds:
            raise InvariantBroken(self.result.steps, [f"[retry_not_idempotent] {problem}"])

    def phase(self, action: Callable[[], object]):
        """Run one resumable phase to its end, again after each injected crash."""
        for _ in range(RETRIES_PER_PHASE):
            try:
                return action()
            except SimulatedCrash:
                continue
        raise RuntimeError("模拟故障注入后该步骤始终未能完成")

    # -- the years -------------------------------------------------------------------------------
    def play(self, code: str, years: int, institutions: int, seed: int, profile: str = "nantong-2025") -> None:
        last = clock.today().year
        first = last - years + 1
        self.phase(lambda: ensure_demo_staff(self.sessions))
        self.phase(lambda: load_demo_region(self.sessions, code, "模拟统筹地区", profile, first, 1, seed,
                                        institutions, lambda n: None))
        self.phase(lambda: next_year_payouts(self.sessions, code, first))  # the first year's own settlements
        self.progress(f"{code}：{institutions} 家机构，{first}—{last} 年")
        triggered: dict[str, int] = {}  # institution → the year of its last trigger: it sits out two campaigns
        for year in range(first, last + 1):
            if year > first:
                self.phase(lambda: self.next_year_facts(code, year))
            if self.rng.random() < 0.3:
                minimum = self.rng.choice(("80000", "100000", "150000"))
                self.phase(lambda: record_override(self.sessions, code, year, "amount.minimum", minimum,
                                                   f"苏医保复〔{year}〕{self.rng.randint(1, 99)}号", "yibaoju1"))
            returned = frozenset(self.rng.sample(["declared", "reviewed", "administration", "finance_bureau"],
                                                 self.rng.choice((0, 0, 1, 2))))
            cycle_seed = self.rng.randrange(1 << 30)
            self.cover_on = None  # while the list turns over, last year's advances wait for the year end
            cycle = self.phase(lambda: play_cycle(self.sessions, code, year, seed, skip=frozenset(c for c, y in triggered.items() if y >= year - 1),
                                                  return_at=returned, draw=f"simulation/{cycle_seed}",
                                                  # 退票, re-issued: drawn apart, so that a seed's other paths stay
                                                  bounce=random.Random(f"{cycle_seed}/bounce").choice((0, 0, 1, 2))))
            self.result.payments += cycle.paid
            self.progress(f"{year} 年度：申请 {cycle.applications}，名单 {cycle.listed}，签约 {cycle.signed}，"
                          f"拨付 {cycle.paid}（第 {self.result.steps} 步）")
            if year > first:  # after the new year's payment: a late year end must claim its own year only
                self.year_end(code, year - 1, dt.date(year, 1, 26))
                self.settle(code, dt.date(year - 1, 12, 1), dt.date(year, 1, 27))
                if self.rng.random() < 0.5:
                    self.clearing(code, year - 1, dt.date(year, 1, 28))
                self.differences(code, year)
            self.cover_on = dt.date(year, 1, 31)
            self.retry_confirmations(year)
            for month in range(1, 12):
                on = settlement.month_end(dt.date(year, month, 1)) + dt.timedelta(days=10)
                if on > clock.today():
                    break
                if self.rng.random() < 0.12:
                    triggered.update(dict.fromkeys(self.trigger(code, year, month), year))
                self.stories(code, year, month)
                if self.rng.random() < 0.15:
                    self.presettle(code, dt.date(year, month, 1), dt.date(year, month, 28))
                if year > first and month == 3 and self.rng.random() < 0.5:  # repeated: changes nothing
                    self.year_end(code, year - 1, dt.date(year, 3, 2))
                self.settle(code, dt.date(year, month, 1), on)
            if year < last and self.rng.random() < 0.5:  # December's, still open when the next batch is made
                self.presettle(code, dt.date(year, 12, 1), dt.date(year, 12, 20))
            self.check(whole_chain=True)
        self.progress(f"完成：{self.result.steps} 步，每步后核对全部不变量"
                      + (f"；注入崩溃 {self.result.crashes} 次、重试 {self.result.retries} 次、"
                         f"并发重复 {self.result.concurrent} 次" if self.faults else ""))

    def next_year_facts(self, code: str, year: int) -> None:
        """The year's standings (scores drawn afresh), fund positions and settlements, from last year's."""
        with self.sessions.begin() as session:
            region = session.scalar(select(Region).where(Region.code == code))
            if session.scalar(select(FundPositionRecord.id).where(FundPositionRecord.region_id == region.id,
                                                                   FundPositionRecord.year == year)) is None:
                self._copy_facts(session, region, year)
        next_year_payouts(self.sessions, code, year)  # once: it finds the year's settlements written
        if self.ceased:  # those transferred or closed settle no more
            with self.sessions.begin() as session:
                for inst_id, since in self.ceased.items():
                    session.execute(delete(MonthlyPayout).where(MonthlyPayout.institution_id == inst_id,
                                                                MonthlyPayout.month >= since))

    def _copy_facts(self, session, region: Region, year: int) -> None:
        for p in session.scalars(select(FundPositionRecord).where(FundPositionRecord.region_id == region.id,
                                                                   FundPositionRecord.year == year - 1)).all():
            session.add(FundPositionRecord(region_id=region.id, year=year, fund=p.fund,
                                           cumulative_surplus=p.cumulative_surplus,
                                           monthly_expenditure=p.monthly_expenditure,
                                           last_year_current_balance=p.projected_current_balance,
                                           projected_current_balance=p.projected_current_balance))
        standings = session.execute(
            select(AnnualStanding).join(Institution, Institution.id == AnnualStanding.institution_id)
            .where(Institution.region_id == region.id, AnnualStanding.year == year - 1)
            .order_by(AnnualStanding.institution_id)).scalars().all()
        session.execute(insert(AnnualStanding), [
            dict(institution_id=s.institution_id, year=year, assessment=s.assessment, credit_grade=s.credit_grade,
                 performance_score=Decimal(self.rng.choice(("88.00", "92.00", "96.00", "99.00"))))
            for s in standings])

    def settle(self, code: str, month: dt.date, on: dt.date) -> None:
        for fund in Fund:
            if self.faults and self.rng.random() < 0.2:
                self.concurrently(lambda: settlement.run_month(self.sessions, code, month, fund, "caiwu1", on))
            done = self.phase(lambda: settlement.run_month(self.sessions, code, month, fund, "caiwu1", on))
            if self.faults and self.rng.random() < 0.2:
                again = self.phase(lambda: settlement.run_month(self.sessions, code, month, fund, "caiwu1", on))
                self.expect(again.replayed and again.run_id == done.run_id, f"{month:%Y-%m} 结算重试又入账一次")
                self.result.retries += 1
            self.result.settlement_runs += 1

    def concurrently(self, action: Callable[[], object]) -> None:
        """The same request twice at once (two workers, one double-submitted form)."""
        self.crashing = False
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                action()
            except ServiceError:
                pass  # the loser may be told the run exists or is locked: a clear refusal is fine
            except BaseException as err:  # noqa: BLE001 - reported in the main thread
                errors.append(err)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.crashing = self.faults
        self.result.concurrent += 1
        if errors:
            raise errors[0]
        self.check()

    def retry_confirmations(self, year: int) -> None:
        if not self.faults:
            return
        with self.sessions() as session:
            paid = session.execute(select(PaymentInstruction.id, PaymentInstruction.bank_ref, PaymentInstruction.paid_on)
                                   .where(PaymentInstruction.state == PaymentState.PAID,
                                          PaymentInstruction.issued_on >= dt.date(year, 1, 1))
                                   .order_by(PaymentInstruction.id)).all()
        for instruction_id, bank_ref, paid_on in self.rng.sample(paid, min(len(paid), 3)):
            again = self.phase(lambda: payment.confirm(self.sessions, instruction_id, bank_ref, paid_on, "caiwu1"))
            self.expect(again.replayed, f"拨付指令 {instruction_id} 重试确认又入账一次")
            self.result.retries += 1

    def clearing(self, code: str, year: int, on: dt.date) -> None:
        """The year's annual clearing settlement for some institutions (17§, 20§(二)1): withheld from first."""
        draw = self.rng.randrange(1 << 30)

        def write() -> None:
            rng = random.Random(draw)
            with self.sessions.begin() as session:
                region_id = session.scalar(select(Region.id).where(Region.code == code))
                done = session.scalar(select(AnnualClearing.year).join(
                    Institution, Institution.id == AnnualClearing.institution_id).where(
                    Institution.region_id == region_id, AnnualClearing.year == year).limit(1))
                if done is not None:
                    return
                ids = session.scalars(select(Institution.id).where(Institution.region_id == region_id)
                                      .order_by(Institution.id)).all()
                rows = [dict(institution_id=i, year=year, fund=fund,
                             amount=Decimal(rng.randrange(1_000_000, 50_000_000)) / 100)
                        for i in ids if rng.random() < 0.5 for fund in Fund]
                if rows:  # none drawn: no clearing this year (an empty insert would write a row of nothing)
                    session.execute(insert(AnnualClearing), rows)

        self.phase(write)
        for fund in Fund:
            try:
                self.phase(lambda: settlement.run_clearing(self.sessions, code, year, fund, "caiwu1", on))
            except ServiceError as err:
                if err.field != "year":  # a fund nobody cleared has no data: nothing to run
                    raise
            self.result.settlement_runs += 1

    def year_end(self, code: str, year: int, on: dt.date) -> None:
        """A year end, or its repetition: a complete one says so and changes nothing (RULES §5)."""
        before = self._owed_total()
        done = self.phase(lambda: year_end.close_year(self.sessions, code, year, "caiwu1", on))
        if done.already_done:
            self.expect(done.owed == 0 and self._owed_total() == before, f"{year} 年度年终处理重复办理又新增应收回")
            self.result.retries += 1

    def _owed_total(self) -> Decimal:
        with self.sessions() as session:
            return sum(session.scalars(select(Receivable.amount)), Decimal("0.00"))

    def differences(self, code: str, year: int) -> None:
        """17§: some year-end differences are to be refunded by their due date; some are refunded, the
        others are withheld again once it passes."""
        with self.sessions() as session:
            ids = session.scalars(select(Receivable.id).where(
                Receivable.route == Route.YEAR_END_DIFFERENCE, Receivable.state == ReceivableState.OPEN,
                Receivable.method == Method.OFFSET, Receivable.origin == f"year-end:{year - 1}")
                .order_by(Receivable.id)).all()
        for rid in ids:
            if self.rng.random() < 0.5:
                self.phase(lambda: receivables.choose_method(self.sessions, rid, Method.REFUND, "caiwu1", "机构申请交回"))
                owed = receivables.still_owed(self.sessions, rid)
                if self.rng.random() < 0.5 and owed > 0 and dt.date(year, 1, 28) <= clock.today():
                    self.phase(lambda: receivables.record_refund(
                        self.sessions, rid, owed, dt.date(year, 1, 28), f"SIMD{year}{rid:06d}", "caiwu1"))

    def presettle(self, code: str, month: dt.date, paid_on: dt.date) -> None:
        """26§ 第一款: a pre-settlement of a month not yet settled, signed by the bureau's two levels and paid."""
        if paid_on > clock.today():
            return
        with self.sessions() as session:
            region = session.scalar(select(Region).where(Region.code == code))
            if not effective_profile(session, region, month.year).presettlement.enabled:
                return
            # a hospital holding an advance, most often: its pre-settlement must never pass for the advance
            codes = session.scalars(
                select(Institution.code).join(Region, Region.id == Institution.region_id)
                .join(PaymentInstruction, PaymentInstruction.institution_code == Institution.code)
                .where(Region.code == code, PaymentInstruction.state == PaymentState.PAID).distinct()
                .order_by(Institution.code)).all() or session.scalars(
                select(Institution.code).join(Region, Region.id == Institution.region_id)
                .where(Region.code == code).order_by(Institution.code)).all()
            if session.scalar(select(SettlementRun.id).join(Region, Region.id == SettlementRun.region_id).where(
                    Region.code == code, SettlementRun.month == month).limit(1)) is not None:
                return
        inst, fund = self.rng.choice(codes), self.rng.choice(list(Fund))
        incurred = Decimal(self.rng.randrange(100_000, 2_000_000))
        amount = (incurred * Decimal("0.5")).quantize(Decimal("0.01"))
        proposed = self.phase(lambda: presettlement.propose(
            self.sessions, code, inst, fund, month, PresettlementCase.CANNOT_SETTLE, incurred, amount, "jiesuan1",
            budget_left=incurred, reason="结算系统改造"))
        pid = proposed.presettlement_id
        for level in presettlement.chain_for(self.sessions, pid).levels:  # the profile's chain (RULES §4)
            signer = PRESETTLEMENT_SIGNERS[level.department]
            self.phase(lambda: presettlement.sign_off(self.sessions, pid, signer, "同意",
                                                      presettlement.current_hash(self.sessions, pid)))
        self.phase(lambda: presettlement.pay(self.sessions, pid, f"SIMP{pid:06d}", paid_on, "caiwu1"))
        self.result.presettlements += 1

    # -- recovery ----------------------------------------------------------------------------------

    def trigger(self, code: str, year: int, month: int) -> set[str]:
        """A trigger on an institution holding an advance; returns it (it applies no more)."""
        with self.sessions() as session:
            holders = session.scalars(
                select(Institution.code).join(Region, Region.id == Institution.region_id)
                .join(PaymentInstruction, PaymentInstruction.institution_code == Institution.code)
                .where(Region.code == code, PaymentInstruction.state == PaymentState.PAID).distinct()
                .order_by(Institution.code)).all()
        if not holders:
            return set()
        chosen, kind = self.rng.choice(holders), self.rng.choice(STORY_KINDS)
        on, evidence = dt.date(year, month, 4), f"（{year}）模拟依据第 {self.rng.randint(1, 999)} 号"
        record = lambda: triggers.record_trigger(self.sessions, code, chosen, kind, on, evidence, "jihe1")  # noqa: E731
        self.phase(record)
        self.result.triggers += 1
        if self.faults and self.rng.random() < 0.5:
            self.expect(self.phase(record).replayed, f"{chosen} 的收回情形重试又登记一次")
            self.result.retries += 1
        with self.sessions() as session:
            ids = session.scalars(select(Receivable.id).join(Institution, Institution.id == Receivable.institution_id)
                                  .where(Institution.code == chosen, Receivable.route == Route.TRIGGER,
                                         Receivable.state == ReceivableState.OPEN)).all()
        for rid in ids:
            self.plans[rid] = self.rng.choice(("offset", "refund", "lawsuit"))
        return {chosen}

    def stop_settling(self, receivable_id: int, since: dt.date) -> None:
        """The institution was transferred or closed: no settlement data of it comes from ``since`` on,
        in the years that follow either (``next_year_facts`` leaves it out)."""
        with self.sessions.begin() as session:
            inst_id = session.get(Receivable, receivable_id).institution_id
            self.ceased[inst_id] = min(since, self.ceased.get(inst_id, since))
            session.execute(delete(MonthlyPayout).where(MonthlyPayout.institution_id == inst_id,
                                                        MonthlyPayout.month >= self.ceased[inst_id]))

    def stories(self, code: str, year: int, month: int) -> None:
        for rid, story in sorted(self.plans.items()):
            with self.sessions() as session:
                r = session.get(Receivable, rid)
                state, demanded, due = r.state, r.demand_ref is not None, r.due_on
            if story == "offset" or state not in (ReceivableState.OPEN, ReceivableState.DEMANDED,
                                                  ReceivableState.LITIGATION):
                continue
            if not demanded:
                if story == "lawsuit":  # transferred or closed: it settles no more, nothing can be offset
                    self.phase(lambda: self.stop_settling(rid, dt.date(year, month, 1)))
                self.phase(lambda: receivables.demand(self.sessions, rid, dt.date(year, month, 6), "caiwu1"))
                continue
            owed = receivables.still_owed(self.sessions, rid)
            if story == "refund" and owed > 0:
                part = owed if self.rng.random() < 0.6 else (owed / 2).quantize(Decimal("0.01"))
                ref = f"SIM{year}{month:02d}{rid:06d}"
                refund = lambda: receivables.record_refund(self.sessions, rid, part, dt.date(year, month, 20), ref,  # noqa: E731
                                                           "caiwu1")
                self.phase(refund)
                if self.faults and self.rng.random() < 0.5:
                    self.expect(self.phase(refund).replayed, f"应收回 {rid} 的交回重试又入账一次")
                    self.result.retries += 1
            elif story == "lawsuit" and state == ReceivableState.DEMANDED and due is not None \
                    and dt.date(year, month, 8) > due:
                self.phase(lambda: receivables.take_to_court(
                    self.sessions, rid, "litigation", f"（{year}）模拟民初{rid}号", "模拟人民法院", dt.date(year, month, 8),
                    "起诉状；预付协议；催收通知", "caiwu1"))
            elif story == "lawsuit" and state == ReceivableState.LITIGATION:
                self.phase(lambda: receivables.write_off(
                    self.sessions, rid, f"（{year}）模拟执恢{rid}号终结本次执行程序裁定书", f"模政复〔{year}〕{rid}号",
                    dt.date(year, month, 20), "caiwu1"))
