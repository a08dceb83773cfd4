"""``/api/v1``: regions, campaigns, determinations, batches and their sign-offs, payment confirmations.

Each endpoint parses, calls a query or a service as the caller of its token, and answers; the
rules are the services'. Mutating calls take an ``Idempotency-Key``: a replay answers as the first
call did, the same key with another body is 409.
"""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from accounting.chart import Role

from .. import extensions
from ..queries.access import check_batch, check_region, granted_regions
from ..queries.cycle import status
from ..queries.overview import determination_page
from ..queries.signoff import sign_off_screen
from ..services import batch as batches
from ..services import payment
from ..services.idempotency import Answer, fingerprint, once
from .auth import authenticate, call, caller
from .schemas import (
    BatchOut,
    CampaignOut,
    ConfirmedOut,
    ConfirmIn,
    DeterminationPageOut,
    ErrorOut,
    Paging,
    RegionOut,
    SignedOut,
    SignOffIn,
)

blp = Blueprint("api_v1", __name__, url_prefix="/api/v1", description="医保基金预付金 API（第 1 版）")
IDEMPOTENCY = {"in": "header", "name": "Idempotency-Key", "required": True,
               "schema": {"type": "string", "minLength": 1, "maxLength": 100},
               "description": "幂等键：同一键重放返回首次结果，同一键不同内容返回 409"}
ERRORS = {code: {"description": text, "content": {"application/json": {"schema": ErrorOut}}}
          for code, text in ((401, "未认证"), (403, "无权"), (404, "没有找到"), (409, "幂等键冲突"),
                             (422, "输入有误"))}
PAYING = {"expenditure": Role.EXPENDITURE_DEPOSIT, "fiscal": Role.FISCAL_SPECIAL_DEPOSIT}


@blp.before_request
def _authenticated() -> None:
    authenticate()


def _sessions():
    return extensions.sessions()


def _region(code: str) -> None:
    call(lambda: check_region(_sessions(), caller().username, code))


def _idempotent(run) -> Answer:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        abort(400, message="变更类请求须提供 Idempotency-Key 请求头",
              errors={"Idempotency-Key": ["变更类请求须提供 Idempotency-Key 请求头"]})
    digest = fingerprint(request.method, request.path, request.get_json(silent=True))
    return call(lambda: once(_sessions(), caller().id, key, digest, run))


@blp.route("/regions")
class Regions(MethodView):
    @blp.response(200, RegionOut(many=True))
    @blp.doc(responses=ERRORS)
    def get(self):
        """The regions the caller may see."""
        return [{"code": c, "name": n} for c, n in granted_regions(_sessions(), caller().username).items()]


@blp.route("/regions/<region_code>/campaigns/<year:year>")
class CampaignStatus(MethodView):
    @blp.response(200, CampaignOut)
    @blp.doc(responses=ERRORS)
    def get(self, region_code: str, year: int):
        """A region's campaign of the year: state, deadlines (signing window, pay-by), progress, batches."""
        _region(region_code)
        return call(lambda: status(_sessions(), region_code, year))


@blp.route("/regions/<region_code>/campaigns/<year:year>/determinations")
class Determinations(MethodView):
    @blp.arguments(Paging, location="query")
    @blp.response(200, DeterminationPageOut)
    @blp.doc(responses=ERRORS)
    def get(self, paging, region_code: str, year: int):
        """The latest determination run, one page at a time, with every reason."""
        _region(region_code)
        page = call(lambda: determination_page(_sessions(), region_code, year, paging["page"], paging["per_page"]))
        if page is None:
            abort(404, message=f"{region_code} {year} 年度尚未测算", errors={})
        return {"run": page.run, "total": page.count, "page": paging["page"], "per_page": paging["per_page"],
                "determined_total": page.determined_total, "items": page.rows}


@blp.route("/batches/<id:batch_id>")
class Batch(MethodView):
    @blp.response(200, BatchOut)
    @blp.doc(responses=ERRORS)
    def get(self, batch_id: int):
        """A payment batch as its signers see it, with the hash to sign."""
        call(lambda: check_batch(_sessions(), caller().username, batch_id))
        return call(lambda: sign_off_screen(_sessions(), batch_id, caller().username))


@blp.route("/batches/<id:batch_id>/sign-offs")
class SignOffs(MethodView):
    @blp.arguments(SignOffIn)
    @blp.response(201, SignedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, batch_id: int):
        """The next level signs the batch whose hash it names (24§(五))."""
        call(lambda: check_batch(_sessions(), caller().username, batch_id))

        def run() -> Answer:
            done = batches.sign_off(_sessions(), batch_id, caller().username, body["comment"], body["batch_hash"])
            return Answer(201, SignedOut().dump(done))

        answer = _idempotent(run)
        return answer.body, answer.status


@blp.route("/payment-instructions/<id:instruction_id>/confirmation")
class Confirmation(MethodView):
    @blp.arguments(ConfirmIn)
    @blp.response(200, ConfirmedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, instruction_id: int):
        """The bank has paid: the finance department confirms, and the ledger posts, once."""
        def run() -> Answer:
            done = payment.confirm(_sessions(), instruction_id, body["bank_ref"], body["paid_on"],
                                   caller().username, PAYING[body["paid_from"]])
            return Answer(200, ConfirmedOut().dump(done))

        answer = _idempotent(run)
        return answer.body, answer.status
