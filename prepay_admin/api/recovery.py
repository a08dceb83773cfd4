"""``/api/v1``, the return path (RULES §5, §6): receivables with their ageing and tie to the ledger,
recovery triggers, the year end, monthly settlement runs with their payment lists, and the finance
department's actions on a receivable. Each mutating call takes an Idempotency-Key; the services check
the department (24§)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from .. import clock
from ..policy.accounts import DEPOSIT_ACCOUNTS
from ..policy.facts import Fund
from ..policy.recovery import Method, PresettlementCase, TriggerKind
from ..queries import receivables as views
from ..services import conditions, presettlement, receivables, settlement, triggers, year_end
from ..services.errors import NotFound
from ..services.idempotency import Answer
from .auth import call, caller
from .routing import ERRORS, IDEMPOTENCY, blp, idempotent, region, sessions
from .schemas.common import Paging
from .schemas.recovery import (
    AfterWriteOffIn,
    ClearingRunIn,
    ConditionLiftIn,
    ConditionLiftOut,
    CourtCaseIn,
    DemandIn,
    DemandOut,
    MethodIn,
    PresettlementIn,
    PresettlementLineOut,
    PresettlementOut,
    PresettlementPaidOut,
    PresettlementPayIn,
    PresettlementSignIn,
    ProposedOut,
    ReceivableDetailOut,
    ReceivablePageOut,
    ReceivableQuery,
    RecoveredOut,
    RefundIn,
    RejectIn,
    RunLineOut,
    RunSheetOut,
    SettlementRunIn,
    SettlementRunOut,
    SuccessionIn,
    SuccessionOut,
    TriggerIn,
    TriggerOut,
    WriteOffIn,
    YearEndIn,
    YearEndOut,
)


def _receivable(receivable_id: int) -> views.ReceivableDetail:
    """The receivable, if the caller may see its region (another region's is not found)."""
    try:
        detail = views.receivable_detail(sessions(), receivable_id, clock.today())
    except NotFound as err:
        abort(404, message=err.message, errors={})
    region(detail.region_code)
    return detail


@blp.route("/regions/<region_code>/receivables")
class Receivables(MethodView):
    @blp.arguments(ReceivableQuery, location="query")
    @blp.response(200, ReceivablePageOut)
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str):
        """What institutions owe back: route, since when, recovered when, overdue with its age; totals per
        fund that tie to 暂付款—医保预付金."""
        region(region_code)
        found = call(lambda: views.receivables(
            sessions(), region_code, clock.today(), status=query["status"],
            fund=Fund(query["fund"]) if query["fund"] else None, overdue_only=query["overdue"], search=query["q"],
            page=query["page"], size=query["per_page"]))
        return {"total": found.count, "page": query["page"], "per_page": query["per_page"], "overdue": found.overdue,
                "ties": found.ties, "items": found.rows}


@blp.route("/receivables/<id:receivable_id>")
class Receivable(MethodView):
    @blp.response(200, ReceivableDetailOut)
    @blp.doc(responses=ERRORS)
    def get(self, receivable_id: int):
        """One receivable with every recovery, its demand, its case and its history."""
        return _receivable(receivable_id)


@blp.route("/regions/<region_code>/recovery-triggers")
class Triggers(MethodView):
    @blp.arguments(TriggerIn)
    @blp.response(201, TriggerOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str):
        """Record a recovery trigger with its evidence (稽核部门, 20§): unpaid advances stop, what the
        institution holds becomes owed back; a fraud finding bars it for three years (21§(六))."""
        region(region_code)

        def run() -> Answer:
            done = triggers.record_trigger(sessions(), region_code, body["institution_code"], TriggerKind(body["kind"]),
                                           body["occurred_on"], body["evidence"], caller().username,
                                           body["decision_ref"], body["decided_on"])
            return Answer(201, TriggerOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/condition-lifts")
class ConditionLifts(MethodView):
    @blp.arguments(ConditionLiftIn)
    @blp.response(201, ConditionLiftOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str):
        """Record 稽核's evidence that a condition declared on an application's self-check (for its year) or
        carried by a recovery trigger does not apply (RULES §2, 10§)."""
        region(region_code)

        def run() -> Answer:
            done = conditions.lift(sessions(), region_code, body["institution_code"], body["condition"],
                                   body["source"], body["evidence"], caller().username, year=body["year"],
                                   lifted_on=body["lifted_on"])
            return Answer(201, ConditionLiftOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/year-ends")
class YearEnds(MethodView):
    @blp.arguments(YearEndIn)
    @blp.response(200, YearEndOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str):
        """Close a year's advances by the profile's year-end mode: rollover (17§) or annual recovery (HB 二(四))."""
        region(region_code)

        def run() -> Answer:
            done = year_end.close_year(sessions(), region_code, body["year"], caller().username, body["on"])
            return Answer(200, YearEndOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/settlement-runs")
class SettlementRuns(MethodView):
    @blp.response(200, RunLineOut(many=True))
    @blp.doc(responses=ERRORS)
    def get(self, region_code: str):
        """The region's monthly settlement runs, newest first."""
        region(region_code)
        return list(call(lambda: views.settlement_runs(sessions(), region_code)))

    @blp.arguments(SettlementRunIn)
    @blp.response(201, SettlementRunOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str):
        """Settle a month of one fund, withholding what is owed (财务管理部门); a month is settled once."""
        region(region_code)

        def run() -> Answer:
            done = settlement.run_month(sessions(), region_code, body["month"], Fund(body["fund"]), caller().username,
                                        body["settled_on"])
            return Answer(201, SettlementRunOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/clearing-runs")
class ClearingRuns(MethodView):
    @blp.arguments(ClearingRunIn)
    @blp.response(201, SettlementRunOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str):
        """Settle a year's annual clearing (年度清算款) of one fund, withholding what is owed first, as a
        month's settlement does (财务管理部门, RULES §5); a year is cleared once."""
        region(region_code)

        def run() -> Answer:
            done = settlement.run_clearing(sessions(), region_code, body["year"], Fund(body["fund"]),
                                           caller().username, body["settled_on"])
            return Answer(201, SettlementRunOut().dump(done))

        return idempotent(run)


@blp.route("/settlement-runs/<id:run_id>")
class SettlementRun(MethodView):
    @blp.arguments(Paging, location="query")
    @blp.response(200, RunSheetOut)
    @blp.doc(responses=ERRORS)
    def get(self, paging, run_id: int):
        """A run's lines (the bank's payment list), one page at a time, with its tie to the ledger."""
        try:
            sheet = views.settlement_run(sessions(), run_id, page=paging["page"], size=paging["per_page"])
        except NotFound as err:
            abort(404, message=err.message, errors={})
        region(sheet.region_code)
        return sheet


def _act(receivable_id: int, status: int, schema, action):
    _receivable(receivable_id)

    def run() -> Answer:
        return Answer(status, schema().dump(action()))

    return idempotent(run)


@blp.route("/receivables/<id:receivable_id>/method")
class RepaymentMethod(MethodView):
    @blp.arguments(MethodIn)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, receivable_id: int):
        """Choose refund or offset for a receivable (17§: the bureau chooses per institution)."""
        _receivable(receivable_id)

        def run() -> Answer:
            receivables.choose_method(sessions(), receivable_id, Method(body["method"]), caller().username,
                                      body["reason"])
            return Answer(200, {"receivable_id": receivable_id, "method": body["method"]})

        return idempotent(run)


@blp.route("/receivables/<id:receivable_id>/demands")
class Demands(MethodView):
    @blp.arguments(DemandIn)
    @blp.response(201, DemandOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, receivable_id: int):
        """Demand the rest within the profile's working days, counted on the holiday calendar (20§(二)1)."""
        return _act(receivable_id, 201, DemandOut,
                    lambda: receivables.demand(sessions(), receivable_id, body["on"], caller().username))


@blp.route("/receivables/<id:receivable_id>/refunds")
class Refunds(MethodView):
    @blp.arguments(RefundIn)
    @blp.response(201, RecoveredOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, receivable_id: int):
        """The institution paid back: Dr 支出户存款 / Cr 暂付款—医保预付金, once per bank reference."""
        return _act(receivable_id, 201, RecoveredOut, lambda: receivables.record_refund(
            sessions(), receivable_id, body["amount"], body["paid_on"], body["bank_ref"], caller().username,
            DEPOSIT_ACCOUNTS[body["paid_into"]]))


@blp.route("/receivables/<id:receivable_id>/succession")
class Succession(MethodView):
    @blp.arguments(SuccessionIn)
    @blp.response(201, SuccessionOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, receivable_id: int):
        """A successor takes the debt over, with its document (20§(二)3)."""
        return _act(receivable_id, 201, SuccessionOut, lambda: receivables.transfer_to_successor(
            sessions(), receivable_id, body["successor_code"], body["document_ref"], body["on"], caller().username))


@blp.route("/receivables/<id:receivable_id>/court-case")
class CourtCase(MethodView):
    @blp.arguments(CourtCaseIn)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, receivable_id: int):
        """An overdue debt goes to a lawsuit or a bankruptcy claim, with the case and its documents (20§(二)4–5)."""
        _receivable(receivable_id)

        def run() -> Answer:
            receivables.take_to_court(sessions(), receivable_id, body["route"], body["case_ref"], body["court"],
                                      body["filed_on"], body["documents"], caller().username)
            return Answer(200, {"receivable_id": receivable_id, "case_ref": body["case_ref"]})

        return idempotent(run)


@blp.route("/receivables/<id:receivable_id>/write-off")
class WriteOff(MethodView):
    @blp.arguments(WriteOffIn)
    @blp.response(201, RecoveredOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, receivable_id: int):
        """Write off what enforcement cannot recover: the court's document and the government's approval are
        both required (20§(二)6, 21§(三)); kept in the memo register."""
        return _act(receivable_id, 201, RecoveredOut, lambda: receivables.write_off(
            sessions(), receivable_id, body["court_document_ref"], body["approval_ref"], body["on"], caller().username))


@blp.route("/receivables/<id:receivable_id>/recoveries-after-write-off")
class AfterWriteOff(MethodView):
    @blp.arguments(AfterWriteOffIn)
    @blp.response(201, RecoveredOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, receivable_id: int):
        """Money collected after the write-off, registered against it in the memo register."""
        return _act(receivable_id, 201, RecoveredOut, lambda: receivables.recover_after_write_off(
            sessions(), receivable_id, body["amount"], body["paid_on"], body["bank_ref"], caller().username))


def _presettlement(presettlement_id: int) -> views.PresettlementDetail:
    try:
        detail = views.presettlement_detail(sessions(), presettlement_id)
    except NotFound as err:
        abort(404, message=err.message, errors={})
    region(detail.region_code)
    return detail


@blp.route("/regions/<region_code>/presettlements")
class Presettlements(MethodView):
    @blp.response(200, PresettlementLineOut(many=True))
    @blp.doc(responses=ERRORS)
    def get(self, region_code: str):
        """The region's monthly pre-settlements, newest first, with the level whose turn it is."""
        region(region_code)
        return list(call(lambda: views.presettlements(sessions(), region_code)))

    @blp.arguments(PresettlementIn)
    @blp.response(201, ProposedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str):
        """Record a monthly pre-settlement (基金结算部门, 26§): at most 90% of what was actually incurred."""
        region(region_code)

        def run() -> Answer:
            done = presettlement.propose(
                sessions(), region_code, body["institution_code"], Fund(body["fund"]), body["month"],
                PresettlementCase(body["case"]), body["incurred"], body["amount"], caller().username,
                budget_left=body["budget_left"], application_ref=body["application_ref"], reason=body["reason"])
            return Answer(201, ProposedOut().dump(done))

        return idempotent(run)


@blp.route("/presettlements/<id:presettlement_id>")
class Presettlement(MethodView):
    @blp.response(200, PresettlementOut)
    @blp.doc(responses=ERRORS)
    def get(self, presettlement_id: int):
        """A pre-settlement with its levels, its sign-offs and the hash the next signer names."""
        return _presettlement(presettlement_id)


@blp.route("/presettlements/<id:presettlement_id>/sign-offs")
class PresettlementSignOffs(MethodView):
    @blp.arguments(PresettlementSignIn)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, presettlement_id: int):
        """The next level signs what it saw (24§(五)); nobody signs two levels."""
        _presettlement(presettlement_id)

        def run() -> Answer:
            title = presettlement.sign_off(sessions(), presettlement_id, caller().username, body["comment"],
                                           body["hash"])
            return Answer(201, {"presettlement_id": presettlement_id, "level": title})

        return idempotent(run)


@blp.route("/presettlements/<id:presettlement_id>/rejection")
class PresettlementRejection(MethodView):
    @blp.arguments(RejectIn)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, presettlement_id: int):
        """The level whose turn it is returns it, with its reason."""
        _presettlement(presettlement_id)

        def run() -> Answer:
            presettlement.reject(sessions(), presettlement_id, caller().username, body["reason"])
            return Answer(200, {"presettlement_id": presettlement_id, "state": "rejected"})

        return idempotent(run)


@blp.route("/presettlements/<id:presettlement_id>/payment")
class PresettlementPayment(MethodView):
    @blp.arguments(PresettlementPayIn)
    @blp.response(201, PresettlementPaidOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, presettlement_id: int):
        """The bank paid it (财务管理部门): posted, and deducted by the next settlement runs."""
        _presettlement(presettlement_id)

        def run() -> Answer:
            done = presettlement.pay(sessions(), presettlement_id, body["bank_ref"], body["paid_on"],
                                     caller().username, DEPOSIT_ACCOUNTS[body["paid_from"]])
            return Answer(201, PresettlementPaidOut().dump(done))

        return idempotent(run)
