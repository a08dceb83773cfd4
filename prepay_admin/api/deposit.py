"""``/api/v1``, patients' inpatient deposits (DEPOSIT.md): the reference of a region's year by keyset pages,
and its computation (基金结算部门; idempotent by key; a recomputation supersedes the run before)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from .. import clock
from ..policy.deposit import InsuranceClass
from ..queries.deposit import findings, grassroots_page, hospital, overview, reference_page
from ..services import grassroots
from ..services.deposit import check_tables, clear_finding, compute_reference
from ..services.idempotency import Answer
from .auth import call, caller
from .routing import ERRORS, IDEMPOTENCY, blp, idempotent, region, sessions
from .schemas.deposit import (
    CheckDoneOut,
    CheckIn,
    ClearedOut,
    ClearIn,
    FindingOut,
    FindingQuery,
    GrassrootsDecidedOut,
    GrassrootsDecisionIn,
    GrassrootsPageOut,
    GrassrootsProposedOut,
    GrassrootsQuery,
    HospitalOut,
    OverviewOut,
    OverviewQuery,
    ReferencePageOut,
    ReferenceQuery,
    RunDoneOut,
)


@blp.route("/regions/<region_code>/deposit-references/<year:year>")
class DepositReference(MethodView):
    @blp.arguments(ReferenceQuery, location="query")
    @blp.response(200, ReferencePageOut)
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str, year: int):
        """The current reference of the year (rule 1, GZ 12, JL 14, XJ 22): per hospital × group × class, the mean
        personal burden with its companions, 样本不足 and 推算 marked; ``next_after`` pages on."""
        region(region_code)
        cls = query["insurance_class"]
        return call(lambda: reference_page(sessions(), region_code, year, institution=query["institution"],
                                           group=query["group"], insurance_class=InsuranceClass(cls) if cls else None,
                                           after=query["after"], size=query["limit"]))


@blp.route("/regions/<region_code>/deposit-references/<year:year>/runs")
class DepositRuns(MethodView):
    @blp.response(201, RunDoneOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, region_code: str, year: int):
        """Compute the year's reference from the settlements held (基金结算部门); a recomputation supersedes the
        current run, which stays on record."""
        region(region_code)

        def run() -> Answer:
            done = compute_reference(sessions(), region_code, year, caller().username)
            return Answer(201, RunDoneOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/deposit-references/<year:year>/checks")
class DepositChecks(MethodView):
    @blp.arguments(CheckIn)
    @blp.response(200, CheckDoneOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str, year: int):
        """Rules 1, 3, 4 over the published tables in force on ``on`` (基金结算部门): findings found again stay
        the same finding; those no longer found are 已整改."""
        region(region_code)

        def run() -> Answer:
            done = check_tables(sessions(), region_code, year, body["on"], caller().username)
            return Answer(200, CheckDoneOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/deposit-findings")
class DepositFindings(MethodView):
    @blp.arguments(FindingQuery, location="query")
    @blp.response(200, FindingOut(many=True))
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str):
        """The region's findings (open ones unless ``status`` is given), by id after ``after``."""
        region(region_code)
        return list(call(lambda: findings(sessions(), region_code, status=query["status"], after=query["after"],
                                          size=query["limit"])))


@blp.route("/regions/<region_code>/deposit-overview/<year:year>")
class DepositOverview(MethodView):
    @blp.arguments(OverviewQuery, location="query")
    @blp.response(200, OverviewOut)
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str, year: int):
        """The region's deposits at a glance against the year's reference (DEPOSIT.md item 7): who publishes,
        compliance, the distribution of deposit ÷ reference, open findings, recompute triggers by deadline."""
        region(region_code)
        return call(lambda: overview(sessions(), region_code, year, query["on"] or clock.today()))


@blp.route("/regions/<region_code>/deposit-hospitals/<year:year>/<code>")
class DepositHospital(MethodView):
    @blp.arguments(OverviewQuery, location="query")
    @blp.response(200, HospitalOut)
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str, year: int, code: str):
        """A hospital's published table in force against the reference, its findings and the notices issued
        to it (the notices themselves: ``POST /regions/{r}/documents`` with kind ``deposit_rectification`` or
        ``deposit_recompute``)."""
        region(region_code)
        if len(code) > 20:
            abort(404, message=f"没有定点医药机构 {code[:20]}…")
        return call(lambda: hospital(sessions(), region_code, year, code, query["on"] or clock.today()))


@blp.route("/regions/<region_code>/deposit-findings/<id:finding_id>/clearance")
class DepositFindingClearance(MethodView):
    @blp.arguments(ClearIn)
    @blp.response(200, ClearedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str, finding_id: int):
        """已核销 (基金结算部门): withdraw an open finding, saying why; a later check does not raise it again
        while the run and the published amount it rested on are unchanged."""
        region(region_code)

        def run() -> Answer:
            done = clear_finding(sessions(), region_code, finding_id, body["note"], caller().username)
            return Answer(200, ClearedOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/deposit-grassroots/<year:year>")
class DepositGrassroots(MethodView):
    @blp.arguments(GrassrootsQuery, location="query")
    @blp.response(200, GrassrootsPageOut)
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str, year: int):
        """Rule 8 (GZ 16): the year's uniform deposits for grassroots institutions (the table in force and its
        lines by keyset)."""
        region(region_code)
        return call(lambda: grassroots_page(sessions(), region_code, year, area=query["area"], group=query["group"],
                                            after=query["after"], size=query["limit"]))

    @blp.response(201, GrassrootsProposedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, region_code: str, year: int):
        """基金结算 proposes the table from the year's current reference (superseding the one before)."""
        region(region_code)

        def run() -> Answer:
            return Answer(201, GrassrootsProposedOut().dump(grassroots.propose(sessions(), region_code, year, caller().username)))

        return idempotent(run)


@blp.route("/regions/<region_code>/grassroots-tables/<id:table_id>/decision")
class DepositGrassrootsDecision(MethodView):
    @blp.arguments(GrassrootsDecisionIn)
    @blp.response(200, GrassrootsDecidedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str, table_id: int):
        """医保行政 approves the proposed table or returns it with its reason."""
        region(region_code)

        def run() -> Answer:
            done = grassroots.decide(sessions(), region_code, table_id, body["approve"], body["note"],
                                     caller().username)
            return Answer(200, GrassrootsDecidedOut().dump(done))

        return idempotent(run)
