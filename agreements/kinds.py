"""The documents the bureau issues, each with its packaged template and the data it is filled with.

``provides`` is the document's data contract: the top-level names its context holds. A region's own
edited template may use any of them and nothing else (checked on upload), so that a document is never
issued with a field left empty.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class DocumentKind:
    name: str
    title: str
    article: str
    provides: frozenset[str]
    per_institution: bool = True

    def packaged_template(self) -> bytes:
        return _packaged(self.name)


@lru_cache(maxsize=None)
def _packaged(name: str) -> bytes:
    return resources.files(__package__).joinpath("templates", f"{name}.docx").read_bytes()


COMMON = frozenset({"bureau", "rules_title", "region", "year", "issued_on"})

KINDS = {k.name: k for k in (
    DocumentKind("agreement", "预付金预付协议", "16§", COMMON | {
        "agreement_no", "institution", "advances", "total", "total_words", "security", "first_year", "last_year",
        "agreement_years", "triggers", "refund_working_days", "repayment_method", "signed_on"}),
    DocumentKind("application_form", "预付金使用申请表", "15§(一)、附件", COMMON | {
        "institution", "level_cn", "credit_grade", "answers", "signed_by", "submitted_on"}),
    DocumentKind("year_end_notice", "预付金年终处理通知", "17§、冀 二(四)", COMMON | {
        "institution", "lines", "instruction"}),
    DocumentKind("determination_notice", "预付金核定通知书", "15§(二)、12§—14§", COMMON | {
        "institution", "verdict", "steps", "total", "total_words", "method", "reasons", "rounding_unit"}),
    DocumentKind("demand", "预付金收回通知", "20§(二)1", COMMON | {
        "institution", "demand_ref", "reason", "fund_cn", "amount", "amount_words", "due_on", "working_days",
        "pay_into", "demanded_on", "court_clause", "recovery_article", "owed_what"}),
    DocumentKind("public_list", "预付金公示", "22§(一)", COMMON | {
        "method", "rows", "totals", "published_on", "days"}, per_institution=False),
    DocumentKind("statement", "预付金对账单", "21§(一)", COMMON | {
        "institution", "book", "account", "from_period", "to_period", "movements", "opening", "debit", "credit",
        "closing", "closing_words"}),
)}
