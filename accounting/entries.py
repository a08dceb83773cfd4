"""Journal entries before they are posted: what must hold for any entry to be accepted."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from .chart import PARTY_ROLES, Role

ZERO = Decimal("0")


@dataclass(frozen=True)
class LineDraft:
    role: Role
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    party: str | None = None  # the institution's code on a sub-ledger account


@dataclass(frozen=True)
class WriteOffMemo:
    """What the memo register (备查簿) keeps of a written-off advance (20§(二)6)."""

    party: str
    amount: Decimal
    court_document_ref: str  # 法院出具的法律文书
    approval_ref: str  # 人民政府批准文号


@dataclass(frozen=True)
class LaterRecovery:
    """备查簿 again: money recovered after its write-off, against the write-off's voucher (20§(二)6)."""

    write_off_entry_id: int
    party: str
    amount: Decimal


@dataclass(frozen=True)
class EntryDraft:
    entry_date: dt.date
    summary: str  # 摘要
    source_ref: str  # the business event that caused it
    lines: tuple[LineDraft, ...]
    memo: WriteOffMemo | None = None
    later_recovery: LaterRecovery | None = None

    @property
    def period(self) -> str:
        return period_of(self.entry_date)

    @property
    def amount(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)


def period_of(day: dt.date) -> str:
    """The accounting period (a calendar month) as ``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


CENT = Decimal("0.01")


def problems(draft: EntryDraft) -> list[str]:
    """Everything wrong with a draft, in Chinese; empty when it may be posted.

    Written as plain loops: a province's settlement posts tens of thousands of drafts at once, and
    each passes through here."""
    found: list[str] = []
    if not draft.summary.strip():
        found.append("摘要不能为空")
    if len(draft.lines) < 2:
        found.append("凭证至少需要两条分录")
    debits = credits = ZERO
    for i, line in enumerate(draft.lines, start=1):
        debit, credit = line.debit, line.credit
        debits += debit
        credits += credit
        if debit < 0 or credit < 0 or (debit > 0) == (credit > 0):
            found.append(f"第 {i} 行：借方与贷方须有且只有一方为正数")
        if debit != debit.quantize(CENT) or credit != credit.quantize(CENT):
            found.append(f"第 {i} 行：金额最多两位小数")
        if line.role in PARTY_ROLES:
            if not line.party:
                found.append(f"第 {i} 行：往来科目须注明定点医疗机构")
        elif line.party:
            found.append(f"第 {i} 行：该科目不按机构设明细")
    if debits != credits:
        found.append(f"借贷不平衡：借方 {debits}，贷方 {credits}")
    return found


def content_hash(draft: EntryDraft, reverses: int | None = None) -> str:
    """A fingerprint of what an entry says, to tell a retry from a different request under one key."""
    canonical: dict[str, object] = {
        "date": draft.entry_date.isoformat(),
        "summary": draft.summary,
        "source": draft.source_ref,
        "lines": [[l.role.value, f"{l.debit:.2f}", f"{l.credit:.2f}", l.party] for l in draft.lines],
        "memo": None if draft.memo is None else [draft.memo.party, f"{draft.memo.amount:.2f}",
                                                  draft.memo.court_document_ref, draft.memo.approval_ref],
        "reverses": reverses,
    }
    if draft.later_recovery is not None:  # only when present: older entries keep their fingerprint
        r = draft.later_recovery
        canonical["later_recovery"] = [r.write_off_entry_id, r.party, f"{r.amount:.2f}"]
    return hashlib.sha256(_canonical_json(canonical).encode()).hexdigest()


# json.dumps(…, ensure_ascii=False, sort_keys=True), byte for byte, without building an encoder per call
_canonical_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
