"""``/api/v1``, patients' inpatient deposits (DEPOSIT.md): the reference of a region's year by keyset pages,
and its computation (基金结算部门; idempotent by key; a recomputation supersedes the run before)."""
from __future__ import annotations

from flask.views import MethodView

from ..policy.deposit import InsuranceClass
from ..queries.deposit import reference_page
from ..services.deposit import compute_reference
from ..services.idempotency import Answer
from .auth import call, caller
from .routing import ERRORS, IDEMPOTENCY, blp, idempotent, region, sessions
from .schemas.deposit import ReferencePageOut, ReferenceQuery, RunDoneOut


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
