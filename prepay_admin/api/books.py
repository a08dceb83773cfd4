"""``/api/v1``, the books and the audit trail: a fund book's trial balance, an institution's statement
(its 暂付款—医保预付金 sub-ledger, 21§(一)), and the region's transitions for those who oversee."""
from __future__ import annotations

from flask.views import MethodView

from ..policy.departments import OVERSEERS, Department
from ..policy.facts import Fund
from ..queries import ledger as books
from ..queries.audit_trail import TrailFilter, audit_trail
from .auth import bad_input, call, caller, refuse
from .routing import ERRORS, blp, region, sessions
from .schemas.books import BookQuery, StatementOut, TrailOut, TrailQuery, TrialBalanceOut


@blp.route("/regions/<region_code>/ledger/trial-balance")
class TrialBalance(MethodView):
    @blp.arguments(BookQuery, location="query")
    @blp.response(200, TrialBalanceOut)
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str):
        """科目余额表 of a fund book: opening, movements and closing of every account; totals balance."""
        region(region_code)
        tb = call(lambda: books.trial_balance(sessions(), region_code, Fund(query["fund"]), query["from_period"],
                                              query["to_period"]))
        return {"book": tb.book, "from_period": tb.from_period, "to_period": tb.to_period, "balanced": tb.balanced,
                "rows": tb.rows, "totals": tb.totals}


@blp.route("/regions/<region_code>/ledger/statements/<code>")
class Statement(MethodView):
    @blp.arguments(BookQuery, location="query")
    @blp.response(200, StatementOut)
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str, code: str):
        """对账单: one institution's 暂付款—医保预付金 sub-ledger, every movement with its running balance."""
        region(region_code)
        return call(lambda: books.statement(sessions(), region_code, Fund(query["fund"]), code[:20],
                                            query["from_period"], query["to_period"]))


@blp.route("/regions/<region_code>/audit-trail")
class AuditTrail(MethodView):
    @blp.arguments(TrailQuery, location="query")
    @blp.response(200, TrailOut)
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str):
        """Every transition of the region's workflows, newest first (审计, 内审, 管理员)."""
        region(region_code)
        if caller().department not in OVERSEERS:
            refuse("审计记录仅供审计、内审和管理员查看")
        where = TrailFilter(machine=query["machine"], actor=query["actor"], institution=query["institution"],
                            department=Department(query["department"]) if query["department"] else None,
                            since=query["since"], until=query["until"])
        if where.since and where.until and where.since > where.until:
            bad_input("起始日期不能晚于截止日期", "since")
        return audit_trail(sessions(), region_code, query["page"], where=where, size=query["per_page"])
