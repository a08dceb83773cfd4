"""``/api/v1``, the annual cycle: regions, campaigns, applications, determinations, securities and
agreements in the signing window, batches and their sign-offs, payment instructions.

Each endpoint parses, calls a query or a service as the caller of its token, and answers; the
rules are the services'.
"""
from __future__ import annotations

import hashlib
import io

from flask.views import MethodView
from flask_smorest import abort

from .. import clock
from ..policy.accounts import DEPOSIT_ACCOUNTS
from ..policy.facts import SecurityKind
from ..queries.access import check_batch, granted_regions
from ..queries.applications import applications
from ..queries.cycle import instructions, status
from ..queries.dashboard import dashboard
from ..queries.overview import determination_page
from ..queries.search import search
from ..queries.signoff import sign_off_screen
from ..queries.todo import todo_list
from ..services import batch as batches
from ..services import payment, payment_return, signing
from ..services.applications import apply
from ..services.errors import ServiceError
from ..services.idempotency import Answer
from .auth import call, caller
from .routing import ERRORS, IDEMPOTENCY, blp, idempotent, region, sessions
from .schemas.common import Paging
from .schemas.resources import (
    AgreementIn,
    ApplicationIn,
    ApplicationPageOut,
    AppliedOut,
    BatchOut,
    CampaignOut,
    ConfirmedOut,
    ConfirmIn,
    DashboardOut,
    DeterminationPageOut,
    FailureIn,
    InstructionOut,
    PaymentReturnIn,
    RegionOut,
    RegisteredOut,
    ReissuedOut,
    ReissueIn,
    ReturnConfirmedOut,
    ReviewIn,
    SearchOut,
    SearchQuery,
    SecurityIn,
    SelectedConfirmationIn,
    SignedAgreementOut,
    SignedOut,
    SigningWindowIn,
    SigningWindowOut,
    SignOffIn,
    TodoListOut,
    VoidedOut,
    VoidIn,
)


@blp.route("/regions")
class Regions(MethodView):
    @blp.response(200, RegionOut(many=True))
    @blp.doc(responses=ERRORS)
    def get(self):
        """The regions the caller may see."""
        return [{"code": c, "name": n} for c, n in granted_regions(sessions(), caller().username).items()]


@blp.route("/regions/<region_code>/campaigns/<year:year>")
class CampaignStatus(MethodView):
    @blp.response(200, CampaignOut)
    @blp.doc(responses=ERRORS)
    def get(self, region_code: str, year: int):
        """A region's campaign of the year: state, deadlines (signing window, pay-by), progress, batches."""
        region(region_code)
        return call(lambda: status(sessions(), region_code, year))


@blp.route("/regions/<region_code>/campaigns/<year:year>/determinations")
class Determinations(MethodView):
    @blp.arguments(Paging, location="query")
    @blp.response(200, DeterminationPageOut)
    @blp.doc(responses=ERRORS)
    def get(self, paging, region_code: str, year: int):
        """The latest determination run, one page at a time, with every reason."""
        region(region_code)
        page = call(lambda: determination_page(sessions(), region_code, year, paging["page"], paging["per_page"]))
        if page is None:
            abort(404, message=f"{region_code} {year} 年度尚未测算", errors={})
        return {"run": page.run, "total": page.count, "page": paging["page"], "per_page": paging["per_page"],
                "determined_total": page.determined_total, "computed_total": page.computed_total, "items": page.rows}


@blp.route("/batches/<id:batch_id>")
class Batch(MethodView):
    @blp.arguments(Paging, location="query")
    @blp.response(200, BatchOut)
    @blp.doc(responses=ERRORS)
    def get(self, paging, batch_id: int):
        """A payment batch as its signers see it: totals, the hash to sign (over every line) and one page of
        its lines (``line_count`` in all)."""
        call(lambda: check_batch(sessions(), caller().username, batch_id))
        return call(lambda: sign_off_screen(sessions(), batch_id, caller().username, paging["page"],
                                            paging["per_page"]))


@blp.route("/batches/<id:batch_id>/sign-offs")
class SignOffs(MethodView):
    @blp.arguments(SignOffIn)
    @blp.response(201, SignedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, batch_id: int):
        """The next level signs the batch whose hash it names (24§(五))."""
        call(lambda: check_batch(sessions(), caller().username, batch_id))

        def run() -> Answer:
            done = batches.sign_off(sessions(), batch_id, caller().username, body["comment"], body["batch_hash"])
            return Answer(201, SignedOut().dump(done))

        return idempotent(run)


@blp.route("/payment-instructions/<id:instruction_id>/confirmation")
class Confirmation(MethodView):
    @blp.arguments(ConfirmIn)
    @blp.response(200, ConfirmedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, instruction_id: int):
        """The bank has paid: the finance department confirms, and the ledger posts, once."""
        def run() -> Answer:
            done = payment.confirm(sessions(), instruction_id, body["bank_ref"], body["paid_on"],
                                   caller().username, DEPOSIT_ACCOUNTS[body["paid_from"]])
            return Answer(200, ConfirmedOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/campaigns/<year:year>/dashboard")
class Dashboard(MethodView):
    @blp.response(200, DashboardOut)
    @blp.doc(responses=ERRORS)
    def get(self, region_code: str, year: int):
        """9§ months against thresholds, the pipeline of the year, the deadlines ahead, outstanding per fund."""
        region(region_code)
        board = call(lambda: dashboard(sessions(), region_code, year, clock.today()))
        return {**board.__dict__, "outstanding": {str(k): v for k, v in board.outstanding.items()}}


@blp.route("/regions/<region_code>/search")
class Search(MethodView):
    @blp.arguments(SearchQuery, location="query")
    @blp.response(200, SearchOut)
    @blp.doc(responses=ERRORS)
    def get(self, query, region_code: str):
        """One search: institutions, receivables, vouchers, issued documents, agreements and batches of the region."""
        region(region_code)
        return {"items": call(lambda: search(sessions(), region_code, query["q"]))}


@blp.route("/regions/<region_code>/todo")
class Todo(MethodView):
    @blp.response(200, TodoListOut)
    @blp.doc(responses=ERRORS)
    def get(self, region_code: str):
        """What waits in the region (待办): each department's work with its count, deadline and article, the
        caller's own apart, and the scheduler's notices of the last week addressed to the caller."""
        region(region_code)
        me = caller()
        found = call(lambda: todo_list(sessions(), region_code, clock.today(), me.department))
        return {**found.__dict__, "mine": found.of(me.department)}


@blp.route("/regions/<region_code>/campaigns/<year:year>/applications")
class Applications(MethodView):
    @blp.arguments(Paging, location="query")
    @blp.response(200, ApplicationPageOut)
    @blp.doc(responses=ERRORS)
    def get(self, paging, region_code: str, year: int):
        """The year's applications with their self-check answers (15§(一))."""
        region(region_code)
        found = call(lambda: applications(sessions(), region_code, year, paging["page"], paging["per_page"]))
        return {"total": found.total, "page": paging["page"], "per_page": paging["per_page"], "items": found.items}

    @blp.arguments(ApplicationIn)
    @blp.response(201, AppliedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str, year: int):
        """Record an institution's application with the attachment's self-check (基金结算部门)."""
        region(region_code)

        def run() -> Answer:
            done = apply(sessions(), region_code, year, body["institution_code"], body["answers"],
                         body["submitted_on"], caller().username)
            return Answer(201, {"application_id": done})

        return idempotent(run)


@blp.route("/regions/<region_code>/campaigns/<year:year>/securities")
class Securities(MethodView):
    @blp.arguments(SecurityIn)
    @blp.response(201, RegisteredOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str, year: int):
        """Register a listed institution's pledge or guarantee in the signing window; one security caps both
        funds together (13§, 15§(三))."""
        region(region_code)

        def run() -> Answer:
            done = signing.register_security(sessions(), region_code, year, body["institution_code"],
                                             SecurityKind(body["kind"]), body["value"], body["registration_ref"],
                                             body["registered_on"], caller().username, body["valid_until"])
            return Answer(201, RegisteredOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/campaigns/<year:year>/agreements")
class Agreements(MethodView):
    @blp.arguments(AgreementIn)
    @blp.response(201, SignedAgreementOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str, year: int):
        """Sign the prepayment agreement in the window (15§(三), 16§)."""
        region(region_code)

        def run() -> Answer:
            done = signing.sign(sessions(), region_code, year, body["institution_code"], body["signed_on"],
                                caller().username)
            return Answer(201, SignedAgreementOut().dump(done))

        return idempotent(run)


@blp.route("/regions/<region_code>/campaigns/<year:year>/signing-window")
class SigningWindow(MethodView):
    @blp.arguments(SigningWindowIn)
    @blp.response(200, SigningWindowOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str, year: int):
        """批量办理 (15§(三), 13§, 16§): the listed institutions' securities registered (one letter or
        registration, each for its determined advance) and/or their agreements signed, in one step, one
        transition per institution; a 422 names every institution refused, and nothing is written."""
        region(region_code)
        ref = body["registration_ref"]

        def run() -> Answer:
            if (ref is None) != (body["covered"] is None):
                raise ServiceError("登记信用担保须同时给出担保函编号和担保总额", "covered" if ref else "registration_ref")
            done = signing.register_and_sign(
                sessions(), region_code, year, body["institution_codes"], body["on"], caller().username,
                security=(SecurityKind.CREDIT_GUARANTEE, ref) if ref else None, sign=body["sign"],
                covered=body["covered"])
            return Answer(200, SigningWindowOut().dump(done))

        return idempotent(run)


@blp.route("/batches/<id:batch_id>/selected-confirmation")
class SelectedConfirmation(MethodView):
    @blp.arguments(SelectedConfirmationIn)
    @blp.response(200, ReturnConfirmedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, batch_id: int):
        """The selected instructions confirmed and posted from one batch transfer of the bank (财务管理部门), each
        recorded with the transfer's reference and its number; all or nothing, a replay posts nothing."""
        call(lambda: check_batch(sessions(), caller().username, batch_id))

        def run() -> Answer:
            done = payment_return.confirm_selected(sessions(), batch_id, body["instruction_ids"], body["bank_ref"],
                                                   body["paid_on"], caller().username,
                                                   DEPOSIT_ACCOUNTS[body["paid_from"]], paid_count=body["paid_count"],
                                                   paid_total=body["paid_total"])
            return Answer(200, ReturnConfirmedOut().dump(done))

        return idempotent(run)


@blp.route("/batches/<id:batch_id>/payment-instructions")
class Instructions(MethodView):
    @blp.response(200, InstructionOut(many=True))
    @blp.doc(responses=ERRORS)
    def get(self, batch_id: int):
        """The batch's payment instructions, each to an institution's bank account."""
        call(lambda: check_batch(sessions(), caller().username, batch_id))
        return list(instructions(sessions(), batch_id))


@blp.route("/batches/<id:batch_id>/payment-return")
class PaymentReturn(MethodView):
    @blp.arguments(PaymentReturnIn, location="multipart")
    @blp.response(200, ReturnConfirmedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, form, batch_id: int):
        """The bank's return of the batch's transfers (财务管理部门): every instruction in it confirmed and
        posted at once, as one by one; a bad file is a 422 naming each row and column, nothing written;
        rows confirmed before with the same reference are counted as ``replayed``."""
        call(lambda: check_batch(sessions(), caller().username, batch_id))
        data = form["file"].read()

        def run() -> Answer:
            done = call(lambda: payment_return.confirm_return(sessions(), batch_id, io.BytesIO(data),
                                                              caller().username, DEPOSIT_ACCOUNTS[form["paid_from"]]))
            return Answer(200, ReturnConfirmedOut().dump(done))

        return idempotent(run, {"form": {"paid_from": form["paid_from"]}, "file": hashlib.sha256(data).hexdigest()})


@blp.route("/payment-instructions/<id:instruction_id>/failure")
class Failure(MethodView):
    @blp.arguments(FailureIn)
    @blp.response(200, VoidedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, instruction_id: int):
        """退票: the bank returned the transfer unpaid; the finance department records its reason (nothing is posted)."""
        def run() -> Answer:
            payment.bounce(sessions(), instruction_id, body["reason"], caller().username)
            return Answer(200, {"instruction_id": instruction_id, "state": "failed"})

        return idempotent(run)


@blp.route("/payment-instructions/<id:instruction_id>/reissue")
class Reissue(MethodView):
    @blp.arguments(ReissueIn)
    @blp.response(200, ReissuedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, instruction_id: int):
        """A returned instruction sent again, for the same amount, to the account the institution has registered now."""
        def run() -> Answer:
            done = payment.reissue(sessions(), instruction_id, caller().username, body["note"], body["on"])
            return Answer(200, {"instruction_id": done.instruction_id, "state": "pending", "bank_name": done.bank_name,
                                "bank_account": done.bank_account, "changed": done.changed})

        return idempotent(run)


@blp.route("/payment-instructions/<id:instruction_id>/reissue-approval")
class ReissueApproval(MethodView):
    @blp.arguments(ReviewIn)
    @blp.response(200, VoidedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, instruction_id: int):
        """24§(四): 内审 reviews a re-issue (never its maker); only then is it sent to the bank and confirmed."""
        def run() -> Answer:
            payment.approve_reissue(sessions(), instruction_id, caller().username, body["comment"])
            return Answer(200, {"instruction_id": instruction_id, "state": "pending"})

        return idempotent(run)


@blp.route("/payment-instructions/<id:instruction_id>/void")
class Void(MethodView):
    @blp.arguments(VoidIn)
    @blp.response(200, VoidedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, instruction_id: int):
        """The bank refused or the account was wrong: the finance department voids the instruction, with a reason."""
        def run() -> Answer:
            payment.void(sessions(), instruction_id, caller().username, body["reason"])
            return Answer(200, {"instruction_id": instruction_id, "state": "voided"})

        return idempotent(run)
