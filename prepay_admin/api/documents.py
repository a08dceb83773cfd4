"""``/api/v1``, documents: generate one (registered, returned as base64 .docx) and check a presented file
against the register."""
from __future__ import annotations

import base64

from flask.views import MethodView

from ..policy.facts import Fund
from ..queries.documents import issued_file
from ..services import document_register, documents
from ..services.idempotency import Answer
from .auth import call, caller
from .routing import ERRORS, IDEMPOTENCY, blp, idempotent, region, sessions
from .schemas.documents import DocumentIn, DocumentOut, VerifiedOut, VerifyFileIn


@blp.route("/regions/<region_code>/documents")
class Documents(MethodView):
    @blp.arguments(DocumentIn)
    @blp.response(201, DocumentOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, body, region_code: str):
        """Generate a document of any registered kind from the data held and register it (its department,
        24§). What it needs follows its kind's scope: one institution's of a year (``agreement``,
        ``application_form``, ``determination_notice``, ``year_end_notice``) ``year`` and ``institution_code``;
        a debt's (``demand``) ``receivable_id``; the region's of a year (``public_list``) ``year`` (``days``);
        an institution's over months (``statement``) ``institution_code`` (``fund``, ``from_period``, ``to_period``)."""
        region(region_code)

        def run() -> Answer:
            month = lambda m: None if m is None else f"{m:%Y-%m}"  # noqa: E731
            done = documents.issue(sessions(), body["kind"], region_code, caller().username, year=body["year"],
                                   institution=body["institution_code"], receivable_id=body["receivable_id"],
                                   fund=Fund(body["fund"]), from_period=month(body["from_period"]),
                                   to_period=month(body["to_period"]), days=body["days"])
            return Answer(201, DocumentOut().dump({
                "id": done.id, "kind": done.kind, "file_name": done.file_name, "sha256": done.sha256,
                "supersedes": done.supersedes, "content_base64": base64.b64encode(done.data).decode()}))

        return idempotent(run)


@blp.route("/regions/<region_code>/documents/<id:document_id>")
class IssuedDocument(MethodView):
    @blp.response(200, DocumentOut)
    @blp.doc(responses=ERRORS)
    def get(self, region_code: str, document_id: int):
        """A document of the region's register as it was issued (base64 .docx), for any caller granted the
        region; changes nothing. A document registered before the register kept files is a 404 saying so."""
        region(region_code)
        found = call(lambda: issued_file(sessions(), region_code, document_id))
        return {"id": found.id, "kind": found.kind, "file_name": found.file_name, "sha256": found.sha256,
                "supersedes": None, "content_base64": base64.b64encode(found.data).decode()}


@blp.route("/documents/verification")
class Verification(MethodView):
    @blp.arguments(VerifyFileIn, location="files")
    @blp.response(200, VerifiedOut)
    @blp.doc(responses=ERRORS)
    def post(self, files):
        """Whether a presented file is one the bureau issued (byte for byte), and which. Changes nothing."""
        found = call(lambda: document_register.verify(sessions(), files["file"].read(document_register.MAX_BYTES + 1)))
        return {"issued": False} if found is None else {"issued": True, **found.__dict__}
