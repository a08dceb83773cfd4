"""The return path's invariants (RULES §5–§7), each one statement or one pass, as `ledger verify` and
the simulation check them:

- per institution and fund, what it holds on 暂付款—医保预付金 equals the sum over its qualification
  years of the advance in force and what is owed back and not recovered, and what it holds on
  暂付款—月度预结金 equals its open monthly pre-settlements (``position_untied``);
- no year's advance was claimed or rolled on beyond what was advanced, nor recovered beyond what was
  claimed (``position_overdrawn``); a year end's claim is on its own year (``year_end_other_year``);
- no settlement paid money to an institution while something it owed was left to carry
  (``paid_while_owed``: offset first, always);
- every confirmed payment equals a line of its batch, and the batch's lines still hash to what every
  level signed (``payment_unsigned``);
- no asset account of a book has a credit balance: what it pays out was funded (``asset_in_credit``);
- the register of held payments ties to the settlement lines and vouchers that made it (``held_untied``).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from accounting import reports
from accounting.chart import ASSET_ROLES, PARTY_ROLES, Role
from accounting.errors import Breach
from accounting.ledger import find_book
from accounting.models import Book, JournalLine, LedgerAccount
from accounting.schema import stored_fen

from ..db import Money, money_sum
from ..models import (
    BatchItem,
    Campaign,
    HeldPayment,
    Institution,
    PaymentBatch,
    PaymentInstruction,
    Receivable,
    RecoveryMovement,
    Region,
    SettlementLine,
    SettlementRun,
    SignOff,
)
from ..policy.facts import Fund
from ..policy.money import fmt_yuan_cn
from ..policy.positions import problems
from ..policy.recovery import Method, Route
from ..policy.signoff import Chain
from ..policy.transitions import PaymentState
from ..services.batch import chain_of, stored_batch_hash
from ..services.positions import held_by_institution, positions, presettlements_owed

ACCOUNT_CN = {Role.ADVANCE: "暂付款—医保预付金", Role.PRESETTLEMENT: "暂付款—月度预结金"}

ZERO = Decimal("0.00")


def position_breaches(session: Session) -> list[Breach]:
    found: list[Breach] = []
    for region_id, region_code, region_name in session.execute(
            select(Region.id, Region.code, Region.name).order_by(Region.code)):
        codes = dict(session.execute(select(Institution.id, Institution.code)
                                     .where(Institution.region_id == region_id)).all())
        region_positions = positions(session, region_id)
        ids = {code: inst_id for inst_id, code in codes.items()}
        for role, expected, basis in (
                (Role.ADVANCE, held_by_institution(session, region_id, region_positions), "按各年度预付金及应收回"),
                (Role.PRESETTLEMENT, presettlements_owed(session, region_id), "按未扣回的月度预结金")):
            for fund in Fund:
                book = find_book(session, region_code, fund)
                balances = reports.party_balances(session, book.id, role) if book is not None else {}
                parties = set(balances) | {codes[i] for (i, f) in expected if f == fund}
                for party in sorted(parties):
                    held = balances.get(party, ZERO)
                    should = expected.get((ids.get(party), fund), ZERO)
                    if held != should:
                        found.append(Breach("position_untied",
                                            f"{region_name} {party} {fund.value} {ACCOUNT_CN[role]}余额 {fmt_yuan_cn(held)} 元，"
                                            f"{basis}应为 {fmt_yuan_cn(should)} 元"))
        for (inst_id, fund, year), position in region_positions.items():
            for problem in problems([position]):
                found.append(Breach("position_overdrawn", f"{region_name} {codes[inst_id]} {fund.value}：{problem}"))
    for code, origin, year in session.execute(
            select(Institution.code, Receivable.origin, Receivable.advance_year)
            .join(Institution, Institution.id == Receivable.institution_id)
            .where(Receivable.origin.like("year-end:%"))):
        if origin != f"year-end:{year}":
            found.append(Breach("year_end_other_year", f"{code} 的 {origin} 年终处理收回了 {year} 年度的预付金"))
    return found


def paid_while_owed(session: Session) -> list[Breach]:
    """Offset first (20§(二)1, RULES §6): no settlement line paid money out (beyond releasing what was
    held back) while a debt of the institution in that fund, recorded before the run and not waiting
    for a refund before its due date (17§), was still owed after it. Read from the receivables and
    their recoveries, not from what the run said about itself."""
    sl, run, r, m = SettlementLine, SettlementRun, Receivable, RecoveryMovement
    recovered = (select(func.coalesce(func.sum(m.amount), 0)).where(
        m.receivable_id == r.id, or_(m.recorded_at < run.run_at, m.settlement_line_id == sl.id))
        .correlate(r, run, sl).scalar_subquery())
    waiting = and_(r.route == Route.YEAR_END_DIFFERENCE, r.method == Method.REFUND, r.refund_due_on.is_not(None),
                   run.settled_on <= r.refund_due_on)
    rows = session.execute(
        select(run.month, run.fund, sl.institution_code, sl.net, type_coerce(r.amount - recovered, Money()))
        .join(run, run.id == sl.run_id)
        .join(r, and_(r.region_id == run.region_id, r.institution_id == sl.institution_id, r.fund == run.fund))
        .where(sl.net > sl.released, r.created_at < run.run_at, ~waiting, r.amount > recovered)
        .order_by(run.month, sl.institution_code))
    return [Breach("paid_while_owed", f"{code} {month:%Y-%m} {fund} 结算拨付 {fmt_yuan_cn(net)} 元，"
                                      f"同时尚欠 {fmt_yuan_cn(owed)} 元未从中冲抵（20§(二)1）")
            for month, fund, code, net, owed in rows]


def unsigned_payments(session: Session) -> list[Breach]:
    """24§(五): every confirmed payment is a line of its batch, and the batch still hashes to what each
    level signed (an edit of a paid line needs the signers' hashes too)."""
    pi, item = PaymentInstruction, BatchItem
    found = [Breach("payment_unsigned", f"拨付指令 {i} 与其批次行不符（{code}）")
             for i, code in session.execute(
                 select(pi.id, pi.institution_code).join(item, item.id == pi.batch_item_id)
                 .where(pi.state == PaymentState.PAID,
                        ~and_(item.batch_id == pi.batch_id, item.institution_code == pi.institution_code,
                              item.fund == pi.fund, item.amount == pi.amount)))]
    # paid to another account than the one signed for only when the bank returned it and it was re-issued
    # to the institution's corrected account, reviewed by 内审, not by its maker (15§(四), 24§(四), issue 30);
    # a re-issue is never paid unreviewed, whatever its account
    reviewed = and_(pi.reissued_by.is_not(None), pi.reissue_approved_by.is_not(None),
                    pi.reissue_approved_by != pi.reissued_by)
    found += [Breach("payment_unsigned", f"拨付指令 {i} 付至 {bank} {account}，与签字的批次行不符，且无经内审复核的重新拨付"
                                         f"（{code}）")
              for i, code, bank, account in session.execute(
                  select(pi.id, pi.institution_code, pi.bank_name, pi.bank_account)
                  .join(item, item.id == pi.batch_item_id)
                  .where(pi.state == PaymentState.PAID,
                         or_(pi.bank_account != item.bank_account, pi.bank_name != item.bank_name,
                             pi.reissued_by.is_not(None)), ~reviewed))]
    batches = session.scalars(select(pi.batch_id).where(pi.state == PaymentState.PAID).distinct()).all()
    signed: dict[int, dict[str, str]] = defaultdict(dict)
    if batches:
        for batch_id, level, digest in session.execute(
                select(SignOff.batch_id, SignOff.level, SignOff.batch_hash)
                .where(SignOff.batch_id.in_(batches), SignOff.voided_at.is_(None))):
            signed[batch_id][level] = digest
    chains: dict[int, Chain] = {}
    for batch_id, campaign_id in (session.execute(select(PaymentBatch.id, PaymentBatch.campaign_id)
                                                  .where(PaymentBatch.id.in_(batches))) if batches else ()):
        if campaign_id not in chains:  # RULES §4: the levels of the profile the batch's year runs on
            chains[campaign_id] = chain_of(session, session.get(Campaign, campaign_id))
        current = stored_batch_hash(session, batch_id)
        unsigned = [level.title for level in chains[campaign_id].levels if signed[batch_id].get(level.name) != current]
        if unsigned:
            found.append(Breach("payment_unsigned", f"拨付批次 {batch_id} 的内容与签字时不符：{'、'.join(unsigned)}"))
    return found


def assets_in_credit(session: Session) -> list[Breach]:
    """RULES §7 (turn 3): no asset account of a book has a credit balance. The deposits are funded before
    they pay (the opening balance of 财政专户存款, and the transfer into 支出户存款 with each payment);
    暂付款 is checked per institution by the ledger itself. (Books kept before that rule ran their
    deposits into credit on the way; their upgrade funded them, so the balance is what is checked.)"""
    l, a = JournalLine, LedgerAccount
    balance = func.sum(stored_fen(l.debit) - stored_fen(l.credit))
    deposits = tuple(r for r in ASSET_ROLES if r not in PARTY_ROLES)
    return [Breach("asset_in_credit", f"{name} {account} 为贷方余额 {fmt_yuan_cn(Decimal(-fen) / 100)} 元"
                                      f"（资产科目不得出现贷方余额：支付前须有资金来源）")
            for name, account, fen in session.execute(
                select(Book.name, a.name, balance).join(l, l.account_id == a.id).join(Book, Book.id == a.book_id)
                .where(a.role.in_(deposits)).group_by(Book.name, a.id, a.name).having(balance < 0)
                .order_by(Book.name, a.name))]


def held_untied(session: Session) -> list[Breach]:
    """HB 五, RULES §7: the register of held payments (money held back is no expense, so it is not in the
    book) ties to what made it: per institution and fund, what it says was held, released and applied
    by settlement runs equals what those runs' lines say; whatever else it holds (held money applied
    before a succession) names its voucher; and it never holds less than nothing. A row forged into it (the register pays out what it says is held) breaks this."""
    h, sl, run = HeldPayment, SettlementLine, SettlementRun
    names = dict(session.execute(select(Institution.id, Institution.code)).all())
    register: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for inst_id, fund, kind, from_runs, amount in session.execute(
            select(h.institution_id, h.fund, h.kind, h.settlement_line_id.is_not(None), money_sum(h.amount))
            .group_by(h.institution_id, h.fund, h.kind, h.settlement_line_id.is_not(None))):
        register[(inst_id, Fund(fund))][f"{kind}{'' if from_runs else ':other'}"] += amount
    lines: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for inst_id, fund, held, released, applied in session.execute(
            select(sl.institution_id, run.fund, money_sum(sl.held), money_sum(sl.released), money_sum(sl.applied))
            .join(run, run.id == sl.run_id).group_by(sl.institution_id, run.fund)):
        lines[(inst_id, Fund(fund))].update(held=held, released=released, applied=applied)
    found = []
    for key in sorted(set(register) | set(lines), key=lambda k: (names.get(k[0], ""), k[1].value)):
        r, l = register[key], lines[key]
        who = f"{names.get(key[0], key[0])} {key[1].value}"
        for kind, label in (("held", "暂停拨付"), ("released", "解除暂停拨付"), ("applied", "抵扣")):
            if r[kind] != l[kind]:
                found.append(Breach("held_untied", f"{who} 登记簿记{label} {fmt_yuan_cn(r[kind])} 元，"
                                                   f"结算明细为 {fmt_yuan_cn(l[kind])} 元"))
        if r["held:other"] or r["released:other"]:
            found.append(Breach("held_untied", f"{who} 登记簿有不属于任何结算的暂停或解除记录"))
        if r["held"] - r["released"] - r["applied"] - r["applied:other"] < 0:
            found.append(Breach("held_untied", f"{who} 登记簿余额为负"))
    for inst_id, fund, kind in session.execute(
            select(h.institution_id, h.fund, h.kind).where(h.settlement_line_id.is_(None), h.ledger_entry_id.is_(None))
            .distinct()):
        found.append(Breach("held_untied", f"{names.get(inst_id, inst_id)} {fund} 登记簿的{kind}记录没有对应凭证"))
    return found


def return_path_breaches(session: Session) -> list[Breach]:
    return (position_breaches(session) + paid_while_owed(session) + unsigned_payments(session)
            + assets_in_credit(session) + held_untied(session))
