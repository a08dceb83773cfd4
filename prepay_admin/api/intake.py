"""``/api/v1/imports/{kind}``: the same imports as the console and the screens, for other systems (the
national platform's exports, the settlement platform's monthly file): a multipart upload with an
Idempotency-Key, answered with the import report. A file with errors is a 422 carrying the report."""
from __future__ import annotations

import hashlib
import io

from flask.views import MethodView
from flask_smorest import abort

from ..intake.kinds import KINDS
from ..services.idempotency import Answer
from ..services.imports import import_file
from .auth import call, caller
from .routing import ERRORS, IDEMPOTENCY, blp, idempotent, region, sessions
from .schemas.intake import ImportIn, ImportReportOut


@blp.route("/imports/<kind>")
class Import(MethodView):
    @blp.arguments(ImportIn, location="multipart")
    @blp.response(200, ImportReportOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, form, kind: str):
        """Import one file of ``kind`` (one of the intake's kinds, ``prepay_admin.intake.kinds``: institutions,
        standings, settlements and the others) into the region, all or nothing; the answer is the import report."""
        if kind not in KINDS:
            abort(404, message=f"没有“{kind[:40]}”这种导入", errors={})
        region(form["region"])
        upload = form["file"]
        data = upload.read()

        def run() -> Answer:
            report = call(lambda: import_file(sessions(), caller().username, form["region"], kind,
                                              upload.filename or "上传文件", io.BytesIO(data),
                                              dry_run=form["dry_run"], correct=form["correct"],
                                              reason=form["reason"]))
            body = ImportReportOut().dump(report)
            if report.error_count:
                return Answer(422, {"code": 422, "message": report.message,
                                    "errors": {"file": [f"第 {e.row} 行 {e.column}：{e.message}" for e in report.errors]},
                                    "report": body})
            return Answer(200, body)

        return idempotent(run, {"form": {k: v for k, v in form.items() if k != "file"},
                                "file": hashlib.sha256(data).hexdigest()})
