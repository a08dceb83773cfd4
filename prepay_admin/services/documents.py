"""Issuing the bureau's documents (16§, 15§(二), 20§(二)1, 21§(一), 22§(一)) and the register that proves it.

Each document is filled from the data the services hold, with the region's own template where it
uploaded one (checked: it may use only what the document provides) or the packaged one. Every file
issued is registered with its SHA-256 and the data it was generated from; a regenerated document
supersedes the earlier one, which stays in the register. ``verify`` tells whether a file presented
later is one the bureau issued, and which.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounting import reports
from accounting.ledger import get_book
from agreements.kinds import COMMON, DocumentKind
from agreements.rendering import Compiled, TemplateProblem
from agreements.words import in_words

from .. import clock
from ..db import money_sum
from ..models import (
    Agreement,
    AnnualStanding,
    Application,
    BatchItem,
    Campaign,
    Department,
    Determination,
    Institution,
    IssuedDocument,
    Receivable,
    RecoveryMovement,
    Region,
    RegionAccount,
    RegionTemplate,
    SecurityPledge,
)
from ..policy.facts import Fund
from ..policy.method import describe_method, rounding_unit_cn
from ..policy.reasons import ASSESSMENT_CN, FUND_CN, LEVEL_CN
from ..policy.recovery import ROUTE_CN, TRIGGER_CN, Route
from ..policy.transitions import DeterminationState
from . import deposit_notices
from .applications import SELF_CHECK_QUESTIONS
from .errors import NotFound, ServiceError
from .unit_of_work import Step, find_campaign, region_step, staff_step

ZERO = Decimal("0.00")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SECURITY_CN = {"pledge": "资产抵押", "credit_guarantee": "信用担保"}
REPAYMENT = {"rollover": "预付金实行滚动结算：次年度继续符合条件的，按新核定额度多退少补；不再符合条件或放弃的，"
                         "从当年 12 月及以后的月度结算款中扣回，不足部分由乙方交回（17§）。",
             "recover": "预付金每年年终收回：在年度清算前由乙方交回或从结算款中冲抵，下一年度重新核定拨付（冀 二(四)）。"}


# -- the registry of document kinds ---------------------------------------------------
# One entry per kind (issue 29): its template contract, the department that issues it (24§), what it is
# about (its scope, which says what a request must name), its builder and, where a year's documents are
# issued at once, whose. The service dispatches through it and every shell lists from it: adding a kind
# touches its entry, its template and its builder only.

class Scope(StrEnum):
    INSTITUTION_YEAR = "institution_year"  # one institution's document of a year: year, institution
    RECEIVABLE = "receivable"  # a debt's: receivable_id
    REGION_YEAR = "region_year"  # the region's of a year: year (and days, a publication's period)
    PERIOD = "period"  # one institution's over months: institution, fund, from_period, to_period


# each scope as staff would name it, and what it asks for, in Chinese (the shells' headings and help texts)
SCOPE_CN = {Scope.INSTITUTION_YEAR: "单个机构的年度文书", Scope.RECEIVABLE: "一笔应收回的文书",
            Scope.REGION_YEAR: "本地区的年度文书", Scope.PERIOD: "单个机构的期间对账"}
SCOPE_NEEDS = {Scope.INSTITUTION_YEAR: "年度、机构编码", Scope.RECEIVABLE: "应收回记录编号",
               Scope.REGION_YEAR: "年度（公示期天数）", Scope.PERIOD: "机构编码、账套、起止期间"}


@dataclass(frozen=True)
class DocumentRequest:
    """What a request for a document names; the kind's scope says which of these it needs."""

    year: int | None = None
    institution: str | None = None
    receivable_id: int | None = None
    fund: Fund = Fund.EMPLOYEE
    from_period: str | None = None
    to_period: str | None = None
    days: int = 7


Built = tuple[str, "Institution | None", dict, dict]  # subject, institution, context, source


@dataclass(frozen=True)
class Registered:
    kind: DocumentKind  # title, article and the template's data contract
    issuer: Department  # 24§
    scope: Scope
    build: Callable[[Step, DocumentRequest], Built]
    command: str  # the console's command
    help: str
    campaign: bool = True  # needs the year's campaign
    batch_states: tuple[DeterminationState, ...] | None = None  # a year's at once: of these (() every one)
    # what issuing it records beside the register (a deposit notice marks the findings it carried 已通知)
    issued: Callable[[Step, dict, int], None] | None = None

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def title(self) -> str:
        return self.kind.title


REGISTRY: dict[str, Registered] = {}


def register(entry: Registered) -> Registered:
    """Add a kind to the registry (the built-in ones below; a test's fixture kind)."""
    REGISTRY[entry.name] = entry
    return entry


def registered(kind_name: str) -> Registered:
    entry = REGISTRY.get(kind_name)
    if entry is None:
        raise NotFound(f"没有文书类型 {kind_name}（可选：{'、'.join(REGISTRY)}）", "kind")
    return entry


def batchable() -> tuple[str, ...]:
    return tuple(name for name, entry in REGISTRY.items() if entry.batch_states is not None)


@dataclass(frozen=True)
class Issued:
    id: int
    kind: str
    file_name: str
    data: bytes
    sha256: str
    supersedes: int | None


def _bureau(region: Region) -> dict[str, str]:
    return {"name": f"{region.name}医疗保险经办机构"}


def _institution(inst: Institution) -> dict[str, str]:
    return {"code": inst.code, "name": inst.name, "credit_code": inst.credit_code or "—", "bank_name": inst.bank_name,
            "bank_account": inst.bank_account}


def _common(step: Step, year: int | None) -> dict[str, Any]:
    profile = step.profile
    return {"bureau": _bureau(step.region), "rules_title": profile.title, "region": {"code": step.region.code,
            "name": step.region.name}, "year": year, "issued_on": clock.today().isoformat()}


def _find_institution(session: Session, region: Region, code: str) -> Institution:
    inst = session.scalar(select(Institution).where(Institution.region_id == region.id,
                                                    Institution.code == (code or "").strip().upper()))
    if inst is None:
        raise NotFound(f"{region.name} 没有定点医药机构 {code}", "institution")
    return inst


def _determination(session: Session, campaign: Campaign, inst: Institution) -> Determination:
    det = session.scalar(select(Determination).where(
        Determination.campaign_id == campaign.id, Determination.institution_id == inst.id,
        Determination.run == campaign.determination_run))
    if det is None:
        raise NotFound(f"{inst.name} 没有 {campaign.year} 年度的核定结果", "institution")
    return det


def _final(advance) -> Decimal:
    return advance.final_amount if advance.final_amount is not None else advance.amount


# -- what each document is filled with --------------------------------------------

def _agreement(step: Step, year: int, code: str) -> tuple[str, Institution, dict, dict]:
    """16§: the agreement of a signed institution, with its amounts per fund and its security."""
    session = step.session
    inst = _find_institution(session, step.region, code)
    det = _determination(session, step.campaign, inst)
    if det.state not in (DeterminationState.SIGNED, DeterminationState.PAID) or det.agreement_id is None:
        raise ServiceError(f"{inst.name} 尚未签订 {year} 年度预付协议", "institution")
    agreement = session.get(Agreement, det.agreement_id)
    advances = [{"fund_cn": FUND_CN[a.fund], "amount": _final(a), "amount_words": in_words(_final(a))}
                for a in det.advances if _final(a) > 0]
    total = sum((a["amount"] for a in advances), ZERO)
    pledge = session.get(SecurityPledge, det.security_id) if det.security_id else None
    security = ({"kind_cn": SECURITY_CN[pledge.kind.value], "value": pledge.value, "value_words": in_words(pledge.value),
                 "registration_ref": pledge.registration_ref, "valid_from": pledge.valid_from.isoformat(),
                 "valid_until": pledge.valid_until.isoformat()} if pledge else
                {"kind_cn": "（政策参数方案未要求担保）", "value": ZERO, "value_words": in_words(ZERO),
                 "registration_ref": "—", "valid_from": "—", "valid_until": "—"})
    profile = step.profile
    context = {"agreement_no": agreement.agreement_no, "institution": _institution(inst), "advances": advances,
               "total": total, "total_words": in_words(total), "security": security,
               "first_year": agreement.first_year, "last_year": agreement.last_year,
               "agreement_years": agreement.last_year - agreement.first_year + 1,
               "triggers": "；".join(TRIGGER_CN.values()), "refund_working_days": profile.year_end.refund_working_days,
               "repayment_method": REPAYMENT[profile.year_end.mode], "signed_on": agreement.signed_on.isoformat()}
    source = {"determination_id": det.id, "agreement_id": agreement.id, "security_id": det.security_id,
              "amounts": {a.fund.value: f"{_final(a):.2f}" for a in det.advances}}
    return f"{year}/{inst.code}", inst, context, source


def _determination_notice(step: Step, year: int, code: str) -> tuple[str, Institution, dict, dict]:
    """15§(二): the result with its calculation step by step, and every reason."""
    session = step.session
    inst = _find_institution(session, step.region, code)
    det = _determination(session, step.campaign, inst)
    steps = []
    for a in det.advances:
        capped = a.final_cap if a.final_amount is not None else a.cap
        notes = "；".join(f"{r['message']}（{r['article']}）" for r in json.loads(a.final_reasons_json or a.reasons_json))
        steps.append({"fund_cn": FUND_CN[a.fund], "base": a.base,
                      "months": "" if det.months is None else f"{det.months.normalize():f}",
                      "ratio": "" if det.ratio is None else f"{det.ratio:.0%}", "raw": a.raw, "rounded": a.rounded,
                      "capped": "—" if capped is None else f"{capped:,.2f}", "amount": _final(a), "notes": notes})
    total = sum((s["amount"] for s in steps), ZERO)
    reasons = [{"message": r["message"], "article": r["article"]} for r in json.loads(det.reasons_json)] \
        or [{"message": "无", "article": ""}]
    verdict = (f"予以预付，核定金额合计 {total:,.2f} 元（{in_words(total)}）。" if det.eligible and total > 0
               else "不予预付，原因见下表。")
    context = {"institution": _institution(inst), "verdict": verdict, "steps": steps, "total": total,
               "total_words": in_words(total), "method": "".join(describe_method(step.profile)), "reasons": reasons,
               "rounding_unit": rounding_unit_cn(step.profile.amount.rounding_unit)}
    return f"{year}/{inst.code}", inst, context, {"determination_id": det.id, "run": det.run, "state": det.state}


def _application_form(step: Step, year: int, code: str) -> tuple[str, Institution, dict, dict]:
    """15§(一): the attachment's form, filled from the institution's data and its self-check answers."""
    session = step.session
    inst = _find_institution(session, step.region, code)
    application = session.scalar(select(Application).where(Application.campaign_id == step.campaign.id,
                                                          Application.institution_id == inst.id))
    if application is None:
        raise NotFound(f"{inst.name} 没有 {year} 年度的预付金申请", "institution")
    standing = session.scalar(select(AnnualStanding).where(AnnualStanding.institution_id == inst.id,
                                                           AnnualStanding.year == year))
    given = json.loads(application.self_check_json)
    answers = [{"question": question, "answer": _answer(key, given.get(key))}
               for key, question in SELF_CHECK_QUESTIONS.items()]
    context = {"institution": _institution(inst), "level_cn": LEVEL_CN.get(inst.level, str(inst.level)),
               "credit_grade": standing.credit_grade.value if standing else "—", "answers": answers,
               "signed_by": application.signed_by, "submitted_on": application.submitted_on.isoformat()}
    return f"{year}/{inst.code}", inst, context, {"application_id": application.id}


def _answer(key: str, value: Any) -> str:
    if key == "last_assessment":
        return ASSESSMENT_CN.get(value, str(value))
    return {True: "是（有）", False: "否（无）"}.get(value, "—")


def _year_end_notice(step: Step, year: int, code: str) -> tuple[str, Institution, dict, dict]:
    """17§, HB 二(四): what the year end made of the institution's advance, fund by fund."""
    session = step.session
    inst = _find_institution(session, step.region, code)
    owed = session.scalars(select(Receivable).where(Receivable.institution_id == inst.id,
                                                    Receivable.origin == f"year-end:{year}")
                           .order_by(Receivable.fund)).all()
    items = {i.fund: i for i in session.scalars(
        select(BatchItem).join(Determination, Determination.id == BatchItem.determination_id)
        .join(Campaign, Campaign.id == Determination.campaign_id)
        .where(Determination.institution_id == inst.id, Campaign.region_id == step.region.id,
               Campaign.year == year + 1))}
    lines, instructions = [], set()
    for r in owed:
        item = items.get(r.fund)
        lines.append({"fund_cn": FUND_CN[r.fund], "held": item.held if item else r.amount,
                      "new_amount": item.determined if item else ZERO, "outcome": ROUTE_CN[r.route],
                      "amount": r.amount, "amount_words": in_words(r.amount)})
        instructions.add("应收回的金额从此后月度结算款中扣回" if r.method.value == "offset"
                         else f"应收回的金额请于收到本通知之日起 {step.profile.year_end.refund_working_days} 个工作日内交回")
    for fund, item in items.items():
        if item.held > 0 and item.amount > 0 and all(r.fund != fund for r in owed):
            lines.append({"fund_cn": FUND_CN[fund], "held": item.held, "new_amount": item.determined,
                          "outcome": f"少补：随 {year + 1} 年度预付金拨付差额", "amount": item.amount,
                          "amount_words": in_words(item.amount)})
    if not lines:
        raise ServiceError(f"{inst.name} 的 {year} 年度预付金没有年终处理事项", "institution")
    context = {"institution": _institution(inst), "lines": lines,
               "instruction": "；".join(sorted(instructions)) + ("。" if instructions else "差额随新年度预付金拨付。")}
    return f"{year}/{inst.code}", inst, context, {"receivables": [r.id for r in owed],
                                                 "batch_items": [i.id for i in items.values()]}


def _demand(step: Step, receivable: Receivable) -> tuple[str, Institution, dict, dict]:
    """20§(二)1: what is owed, why, by when, and where to pay it."""
    session = step.session
    inst = session.get(Institution, receivable.institution_id)
    if receivable.demand_ref is None:
        raise ServiceError("该笔应收回尚未发出催收通知，请先办理催收", "receivable")
    recovered = session.scalar(select(money_sum(RecoveryMovement.amount)).where(
        RecoveryMovement.receivable_id == receivable.id))
    outstanding = receivable.amount - recovered
    # the notice as it was issued: the amount its demand asked for (a copy issued later says the same)
    amount = receivable.demanded_amount if receivable.demanded_amount is not None else outstanding
    if amount <= 0:
        raise ServiceError("该笔应收回已无欠款，没有可出具的收回通知", "receivable")
    account = session.scalar(select(RegionAccount).where(RegionAccount.region_id == step.region.id,
                                                         RegionAccount.fund == receivable.fund))
    if account is None:
        raise ServiceError(f"{step.region.name} 尚未登记{FUND_CN[receivable.fund]}支出户，收回通知无法告知交回账户"
                           f"（运维命令 prepay-admin region set-account）", "account")
    context = {"institution": _institution(inst), "demand_ref": receivable.demand_ref,
               "reason": f"{ROUTE_CN[receivable.route]}（{receivable.reason}）", "fund_cn": FUND_CN[receivable.fund],
               "amount": amount, "amount_words": in_words(amount), "due_on": receivable.due_on.isoformat(),
               "working_days": step.profile.year_end.refund_working_days,
               "pay_into": f"户名 {account.account_name}，开户行 {account.bank_name}，账号 {account.account_no}",
               "demanded_on": receivable.demanded_on.isoformat(),
               # the text's article and court route (20§, 提起诉讼; HB 五, 依法申请强制执行)
               "recovery_article": step.profile.year_end.recovery_article(receivable.route),
               "court_clause": step.profile.year_end.court_clause,
               # what is owed back: a monthly pre-settlement (26§) or the annual advance
               "owed_what": "月度预结金" if receivable.route == Route.PRESETTLEMENT else "预付金"}
    return f"receivable/{receivable.id}", inst, context, {"receivable_id": receivable.id, "demanded": f"{amount:.2f}",
                                                         "outstanding": f"{outstanding:.2f}"}


def _public_list(step: Step, year: int, days: int) -> tuple[str, None, dict, dict]:
    """22§(一): every institution paid the year's advance, with the amounts per fund and the method."""
    session = step.session
    rows, totals = [], {"employee": ZERO, "resident": ZERO, "total": ZERO}
    dets = session.execute(select(Determination, Institution).join(Institution, Institution.id == Determination.institution_id)
                           .where(Determination.campaign_id == step.campaign.id,
                                  Determination.state == DeterminationState.PAID).order_by(Institution.code)).all()
    for n, (det, inst) in enumerate(dets, start=1):
        amounts = {a.fund.value: _final(a) for a in det.advances}
        row = {"no": n, "code": inst.code, "name": inst.name, "employee": amounts.get("employee", ZERO),
               "resident": amounts.get("resident", ZERO)}
        row["total"] = row["employee"] + row["resident"]
        for key in totals:
            totals[key] += row[key]
        rows.append(row)
    context = {"method": "".join(describe_method(step.profile)), "rows": rows, "totals": totals,
               "published_on": clock.today().isoformat(), "days": days}
    return f"{year}", None, context, {"determinations": [d.id for d, _ in dets], "totals": {k: f"{v:.2f}" for k, v in totals.items()}}


def _statement(step: Step, fund: Fund, code: str, from_period: str, to_period: str) -> tuple[str, Institution, dict, dict]:
    """21§(一): the institution's sub-ledger, with the block it signs and returns."""
    session = step.session
    inst = _find_institution(session, step.region, code)
    reports.check_range(from_period, to_period)
    detail = reports.institution_statement(session, get_book(session, step.region.code, fund).id, inst.code,
                                           from_period, to_period)
    movements = [{"date": m.entry_date.isoformat(), "voucher": m.voucher, "summary": m.summary,
                  "debit": f"{m.debit:,.2f}" if m.debit else "", "credit": f"{m.credit:,.2f}" if m.credit else "",
                  "balance": f"{m.balance:,.2f}"} for m in detail.movements]
    closing = detail.opening + detail.debit - detail.credit
    context = {"institution": _institution(inst), "book": detail.book,
               "account": f"{detail.account_code} {detail.account_name}", "from_period": from_period,
               "to_period": to_period, "movements": movements, "opening": detail.opening, "debit": detail.debit,
               "credit": detail.credit, "closing": closing, "closing_words": in_words(abs(closing))}
    return (f"{fund.value}/{inst.code}/{from_period}-{to_period}", inst, context,
            {"vouchers": [m.voucher for m in detail.movements], "closing": f"{closing:.2f}"})


# -- issuing ----------------------------------------------------------------------

def template_for(session: Session, region: Region, kind: DocumentKind) -> bytes:
    """The region's own latest template for the document, or the packaged one."""
    own = session.scalar(select(RegionTemplate.content).where(RegionTemplate.region_id == region.id,
                                                              RegionTemplate.kind == kind.name)
                         .order_by(RegionTemplate.id.desc()).limit(1))
    return own if own is not None else kind.packaged_template()


def _compiled(kind: DocumentKind, template: bytes) -> Compiled:
    try:
        return Compiled(template)
    except TemplateProblem as err:
        raise ServiceError(f"{kind.title}模板有误：{err}", "template") from None


def _register(step: Step, kind: DocumentKind, subject: str, inst: Institution | None, year: int | None,
              context: dict, source: dict, template: bytes, compiled: Compiled | None = None) -> Issued:
    try:
        data = (compiled or _compiled(kind, template)).render({**_common(step, year), **context})
    except TemplateProblem as err:
        raise ServiceError(f"{kind.title}模板有误：{err}", "template") from None
    digest = hashlib.sha256(data).hexdigest()
    name = f"{kind.name}-{step.region.code}-{re.sub(r'[^0-9A-Za-z-]+', '-', subject)}.docx"
    earlier = step.session.scalar(select(IssuedDocument).where(
        IssuedDocument.region_id == step.region.id, IssuedDocument.kind == kind.name,
        IssuedDocument.subject == subject, IssuedDocument.superseded_by_id.is_(None)))
    doc = IssuedDocument(region_id=step.region.id, kind=kind.name, subject=subject,
                         institution_id=inst.id if inst else None, year=year, file_name=name, sha256=digest,
                         source_json=json.dumps(source, ensure_ascii=False, default=str),
                         template_sha256=hashlib.sha256(template).hexdigest(), generated_by=step.actor.username,
                         content=data)
    step.session.add(doc)
    step.session.flush()
    if earlier is not None:
        earlier.superseded_by_id = doc.id
    return Issued(doc.id, kind.name, name, data, digest, earlier.id if earlier else None)


def issue(sessions: sessionmaker, kind_name: str, region_code: str, user: str, *, year: int | None = None,
          institution: str | None = None, receivable_id: int | None = None, fund: Fund | None = None,
          from_period: str | None = None, to_period: str | None = None, days: int = 7) -> Issued:
    """Generate one document and register it (its department: 24§)."""
    entry = registered(kind_name)
    request = DocumentRequest(year, institution, receivable_id, fund or Fund.EMPLOYEE, from_period, to_period, days)
    if not 1 <= days <= 60:
        raise ServiceError("公示期须为 1—60 日", "days")
    with _scoped_step(sessions, entry, region_code, user, request) as step:
        subject, inst, context, source = entry.build(step, request)
        done = _register(step, entry.kind, subject, inst, step.year if entry.scope in (
            Scope.INSTITUTION_YEAR, Scope.REGION_YEAR) else None, context, source,
            template_for(step.session, step.region, entry.kind))
        if entry.issued is not None:
            entry.issued(step, source, done.id)
        return done


@contextmanager
def _scoped_step(sessions: sessionmaker, entry: Registered, region_code: str, user: str,
                 request: DocumentRequest) -> Iterator[Step]:
    """The step a kind's scope runs in: a debt's region and year are the debt's; a period's year is this
    one; the others name their year (and, where the kind needs it, its campaign)."""
    if entry.scope == Scope.RECEIVABLE:
        if request.receivable_id is None:
            raise ServiceError("须指定应收回记录", "receivable")
        with staff_step(sessions, user, entry.issuer) as step:
            receivable = step.session.get(Receivable, request.receivable_id)
            if receivable is None:
                raise NotFound(f"没有应收回记录 {request.receivable_id}", "receivable")
            region = step.session.get(Region, receivable.region_id)
            if region.code != region_code:
                raise NotFound(f"没有应收回记录 {request.receivable_id}", "receivable")  # another's: as if none
            step.enter(region)
            step.year = (receivable.demanded_on or clock.today()).year
            yield step
        return
    if entry.scope == Scope.PERIOD:
        with region_step(sessions, user, region_code, clock.today().year, entry.issuer) as step:
            yield step
        return
    if request.year is None:
        raise ServiceError("须指定年度", "year")
    with region_step(sessions, user, region_code, request.year, entry.issuer) as step:
        if entry.campaign:
            step.campaign = find_campaign(step.session, step.region, request.year)
        yield step


@dataclass(frozen=True)
class Batch:
    kind: str
    count: int
    zip_name: str
    data: bytes  # the zip of every document


def issue_batch(sessions: sessionmaker, kind_name: str, region_code: str, year: int, user: str,
                progress: Callable[[int, int], None] = lambda done, total: None) -> Batch:
    """Every document of a kind issued a year at once (the agreements of the signed, the determination
    notices of every determination), as one zip, each registered; in one step, so a failure issues none."""
    entry = registered(kind_name)
    if entry.batch_states is None:
        raise ServiceError(f"成批生成只适用于：{'、'.join(REGISTRY[k].title for k in batchable())}", "kind")
    kind = entry.kind
    with region_step(sessions, user, region_code, year, entry.issuer) as step:
        step.campaign = find_campaign(step.session, step.region, year)
        query = (select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                 .where(Determination.campaign_id == step.campaign.id,
                        Determination.run == step.campaign.determination_run).order_by(Institution.code))
        if entry.batch_states:
            query = query.where(Determination.state.in_(entry.batch_states))
        codes = step.session.scalars(query).all()
        if not codes:
            raise ServiceError(f"{year} 年度没有可生成{kind.title}的机构", "year")
        template = template_for(step.session, step.region, kind)
        compiled = _compiled(kind, template)  # prepared once for the whole batch
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for done, code in enumerate(codes, start=1):
                subject, inst, context, source = entry.build(step, DocumentRequest(year=year, institution=code))
                issued = _register(step, kind, subject, inst, year, context, source, template, compiled)
                archive.writestr(issued.file_name, issued.data)
                progress(done, len(codes))
        return Batch(kind_name, len(codes), f"{kind_name}-{region_code}-{year}.zip", out.getvalue())


# -- the kinds the bureau issues --------------------------------------------------------

_SIGNED = (DeterminationState.SIGNED, DeterminationState.PAID)
register(Registered(
    DocumentKind("agreement", "预付金预付协议", "16§", COMMON | {
        "agreement_no", "institution", "advances", "total", "total_words", "security", "first_year", "last_year",
        "agreement_years", "triggers", "refund_working_days", "repayment_method", "signed_on"}),
    Department.FUND_SETTLEMENT, Scope.INSTITUTION_YEAR, lambda step, r: _agreement(step, r.year, r.institution or ""),
    "agreement", "预付金预付协议（16§，基金结算部门）", batch_states=_SIGNED))
register(Registered(
    DocumentKind("application_form", "预付金使用申请表", "15§(一)、附件", COMMON | {
        "institution", "level_cn", "credit_grade", "answers", "signed_by", "submitted_on"}),
    Department.FUND_SETTLEMENT, Scope.INSTITUTION_YEAR,
    lambda step, r: _application_form(step, r.year, r.institution or ""),
    "form", "预付金使用申请表（附件），按机构资料及自查情况填写"))
register(Registered(
    DocumentKind("year_end_notice", "预付金年终处理通知", "17§、冀 二(四)", COMMON | {
        "institution", "lines", "instruction"}),
    Department.FINANCE, Scope.INSTITUTION_YEAR, lambda step, r: _year_end_notice(step, r.year, r.institution or ""),
    "year-end-notice", "预付金年终处理通知（17§：少补、多退或清算；冀 二(四)：年度收回；财务管理部门）；"
                       "--year 为到期的预付年度", campaign=False))
register(Registered(
    DocumentKind("determination_notice", "预付金核定通知书", "15§(二)、12§—14§", COMMON | {
        "institution", "verdict", "steps", "total", "total_words", "method", "reasons", "rounding_unit"}),
    Department.FUND_SETTLEMENT, Scope.INSTITUTION_YEAR,
    lambda step, r: _determination_notice(step, r.year, r.institution or ""),
    "notice", "预付金核定通知书：逐步列出测算过程及全部原因（15§(二)）", batch_states=()))
register(Registered(
    DocumentKind("demand", "预付金收回通知", "20§(二)1", COMMON | {
        "institution", "demand_ref", "reason", "fund_cn", "amount", "amount_words", "due_on", "working_days",
        "pay_into", "demanded_on", "court_clause", "recovery_article", "owed_what"}),
    Department.FINANCE, Scope.RECEIVABLE,
    lambda step, r: _demand(step, step.session.get(Receivable, r.receivable_id)),
    "demand", "预付金收回通知（20§(二)1，财务管理部门；须已发出催收）"))
register(Registered(
    DocumentKind("public_list", "预付金公示", "22§(一)", COMMON | {
        "method", "rows", "totals", "published_on", "days"}, per_institution=False),
    Department.FUND_SETTLEMENT, Scope.REGION_YEAR, lambda step, r: _public_list(step, r.year, r.days),
    "public-list", "年度预付金公示（22§(一)）：计算方法与各机构各基金金额"))
register(Registered(
    DocumentKind("statement", "预付金对账单", "21§(一)", COMMON | {
        "institution", "book", "account", "from_period", "to_period", "movements", "opening", "debit", "credit",
        "closing", "closing_words"}),
    Department.FINANCE, Scope.PERIOD,
    lambda step, r: _statement(step, r.fund, r.institution or "", r.from_period or f"{clock.today():%Y}-01",
                               r.to_period or f"{clock.today():%Y-%m}"),
    "statement", "对账单（21§(一)，财务管理部门），附机构签章回执"))


# DEPOSIT.md: the notices that carry the deposit checks' findings to a hospital (基金结算部门)
register(Registered(
    DocumentKind("deposit_rectification", "住院预交金整改提示函", "黔 12、18，吉 14、18，新 22", COMMON | {
        "institution", "run", "findings", "measure", "days", "due_on", "rules", "demand"}),
    Department.FUND_SETTLEMENT, Scope.INSTITUTION_YEAR,
    lambda step, r: deposit_notices.rectification(step, r.year, r.institution or ""),
    "deposit-rectification", "住院预交金整改提示函：公示额度高于参考额度、高于细则实施前标准、常见病种未公示（基金结算部门）",
    campaign=False, issued=lambda step, source, doc_id: deposit_notices.notified(step, source, doc_id)))
register(Registered(
    DocumentKind("deposit_recompute", "住院预交金重新测算提示函", "新 24、黔 13、吉 14", COMMON | {
        "institution", "run", "findings", "measure", "days", "due_on", "rules", "demand"}),
    Department.FUND_SETTLEMENT, Scope.INSTITUTION_YEAR,
    lambda step, r: deposit_notices.recompute(step, r.year, r.institution or ""),
    "deposit-recompute", "住院预交金重新测算提示函：实际负担连续低于预交金 80%、支付标准变动超过 10%，"
                         "限期重新测算（新 24，基金结算部门）",
    campaign=False, issued=lambda step, source, doc_id: deposit_notices.notified(step, source, doc_id)))
register(Registered(
    DocumentKind("grassroots_table", "基层医疗机构统一住院预交金额度表", "黔 16", COMMON | {
        "lines", "left_out", "min_cases", "approved_by", "approved_on", "run"}, per_institution=False),
    Department.FUND_SETTLEMENT, Scope.REGION_YEAR, lambda step, r: deposit_notices.grassroots_table(step, r.year),
    "grassroots-table", "基层医疗机构统一住院预交金额度表（黔 16；须经医保行政部门审定）", campaign=False))
register(Registered(
    DocumentKind("deposit_reference", "住院预交金参考额度表", "黔 12、吉 14、新 22", COMMON | {
        "institution", "lines", "left_out", "min_cases", "measure", "run"}),
    Department.FUND_SETTLEMENT, Scope.INSTITUTION_YEAR,
    lambda step, r: deposit_notices.hospital_reference(step, r.year, r.institution or ""),
    "deposit-reference", "住院预交金参考额度表：一家医院按病种、类别的次均费用与个人负担（即其应公示的计算依据；基金结算部门）",
    campaign=False))
register(Registered(
    DocumentKind("deposit_quarterly", "住院预交金管理情况季度报告", "黔 22、吉 23、新 33", COMMON | {
        "quarter", "as_of", "hospitals", "publishing", "silent", "lines", "compliant", "compliance", "kinds", "found",
        "notified", "rectified", "cleared", "overdue", "billing", "red_holders", "red_held", "red_days", "run"},
        per_institution=False),
    Department.FUND_SETTLEMENT, Scope.REGION_YEAR, lambda step, r: deposit_notices.quarterly_report(step, r.year),
    "deposit-quarterly", "住院预交金管理情况季度报告（报卫生健康部门；以今天所在季度为准；基金结算部门）", campaign=False))
