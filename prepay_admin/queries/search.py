"""One search box for a region (issue 30): an institution by code or name, a receivable by its number or its
demand's reference, a voucher by its number (记-2026-0012), an issued document by its file name, subject or
hash, an agreement by its number, a payment batch by its number. Each hit names where it is shown."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import sessionmaker

from accounting.models import Book, JournalEntry, JournalLine

from ..models import Agreement, Campaign, Institution, IssuedDocument, PaymentBatch, Receivable
from ..policy.reasons import FUND_CN
from ..services.unit_of_work import find_region
from .matching import like

PER_KIND = 20
QUERY_MAX = 60
VOUCHER = re.compile(r"^(?:记-?)?(\d{4})-0*(\d{1,9})$")


@dataclass(frozen=True)
class Hit:
    kind: str  # 机构, 应收回, 凭证, 文书, 协议, 拨付批次
    title: str
    detail: str
    screen: str  # institution, receivable, statement, document, batch
    ids: dict = field(default_factory=dict)


def search(sessions: sessionmaker, region_code: str, text: str) -> tuple[Hit, ...]:
    """What in the region matches ``text`` (trimmed; at most ``PER_KIND`` of each kind)."""
    q = (text or "").strip()[:QUERY_MAX]
    if not q:
        return ()
    hits: list[Hit] = []
    with sessions() as session:
        region = find_region(session, region_code)
        pattern = like(q)
        for code, name in session.execute(
                select(Institution.code, Institution.name).where(
                    Institution.region_id == region.id,
                    or_(Institution.code.like(pattern, escape="\\"), Institution.name.like(pattern, escape="\\")))
                .order_by(Institution.code).limit(PER_KIND)):
            hits.append(Hit("机构", f"{code} {name}", "定点医药机构", "institution", {"code": code}))
        number = int(q) if q.isascii() and q.isdigit() and len(q) <= 9 else None
        receivables = select(Receivable.id, Receivable.fund, Receivable.demand_ref, Institution.code, Institution.name) \
            .join(Institution, Institution.id == Receivable.institution_id).where(Receivable.region_id == region.id)
        wanted = [Receivable.demand_ref.like(pattern, escape="\\")] + ([Receivable.id == number] if number else [])
        for rid, fund, ref, code, name in session.execute(receivables.where(or_(*wanted)).limit(PER_KIND)):
            hits.append(Hit("应收回", f"应收回 {rid}：{code} {name}", f"{FUND_CN[fund.value]}"
                            + (f"，催收通知 {ref}" if ref else ""), "receivable", {"receivable_id": rid}))
        voucher = VOUCHER.match(q)
        if voucher:
            for entry, book in session.execute(
                    select(JournalEntry, Book).join(Book, Book.id == JournalEntry.book_id)
                    .where(Book.region_code == region.code, JournalEntry.voucher_year == int(voucher.group(1)),
                           JournalEntry.voucher_no == int(voucher.group(2))).limit(PER_KIND)):
                parties = sorted(set(session.scalars(select(JournalLine.party).where(
                    JournalLine.entry_id == entry.id, JournalLine.party.is_not(None)))))
                hits.append(Hit("凭证", f"{entry.voucher} {book.name}", f"{entry.entry_date} {entry.summary}",
                                "statement" if parties else "books",
                                {"code": parties[0], "fund": book.fund, "period": entry.period} if parties else
                                {"period": entry.period}))
        for doc_id, file_name, subject, digest in session.execute(
                select(IssuedDocument.id, IssuedDocument.file_name, IssuedDocument.subject, IssuedDocument.sha256)
                .where(IssuedDocument.region_id == region.id,
                       or_(IssuedDocument.file_name.like(pattern, escape="\\"),
                           IssuedDocument.subject.like(pattern, escape="\\"),
                           IssuedDocument.sha256.like(f"{q.lower()}%") if len(q) >= 8 else False))
                .order_by(IssuedDocument.id.desc()).limit(PER_KIND)):
            hits.append(Hit("文书", file_name, f"{subject}，SHA-256 {digest[:12]}…", "document",
                            {"document_id": doc_id}))
        for number_, code, name in session.execute(
                select(Agreement.agreement_no, Institution.code, Institution.name)
                .join(Institution, Institution.id == Agreement.institution_id)
                .where(Institution.region_id == region.id, Agreement.agreement_no.like(pattern, escape="\\"))
                .limit(PER_KIND)):
            hits.append(Hit("协议", f"预付协议 {number_}", f"{code} {name}", "institution", {"code": code}))
        if number:
            for batch_id, year in session.execute(
                    select(PaymentBatch.id, Campaign.year).join(Campaign, Campaign.id == PaymentBatch.campaign_id)
                    .where(Campaign.region_id == region.id, PaymentBatch.id == number)):
                hits.append(Hit("拨付批次", f"拨付批次 {batch_id}", f"{year} 年度", "batch", {"batch_id": batch_id}))
    return tuple(hits)
