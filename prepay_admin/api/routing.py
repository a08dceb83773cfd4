"""What every ``/api/v1`` resource shares: the blueprint, the authenticated caller, the region check,
the documented errors, and the Idempotency-Key every mutating call takes (a replay answers as the
first call did; the same key with another body is 409)."""
from __future__ import annotations

from flask import Response, jsonify, request
from flask_smorest import Blueprint, abort
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from .. import extensions
from ..queries.access import check_region
from ..services.idempotency import fingerprint, once
from .auth import authenticate, call, caller
from .schemas.common import ErrorOut


class _Parser(FlaskParser):
    """webargs' parser with one more location, ``multipart``: a multipart/form-data body's fields and
    files read by one schema, so the OpenAPI document describes both (two ``arguments`` of one request
    body, one ``form`` and one ``files``, documented only the last: issue 28)."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "multipart": "multipart/form-data"}


blp = ApiBlueprint("api_v1", __name__, url_prefix="/api/v1", description="医保基金预付金 API（第 1 版）")
IDEMPOTENCY = {"in": "header", "name": "Idempotency-Key", "required": True,
               "schema": {"type": "string", "minLength": 1, "maxLength": 100},
               "description": "幂等键：同一键重放返回首次结果，同一键不同内容返回 409"}
ERRORS = {code: {"description": text, "content": {"application/json": {"schema": ErrorOut}}}
          for code, text in ((401, "未认证"), (403, "无权"), (404, "没有找到"), (409, "幂等键冲突"),
                             (422, "输入有误"))}


@blp.before_request
def _authenticated() -> None:
    authenticate()


def sessions():
    return extensions.sessions()


def region(code: str) -> None:
    """Another region's data is invisible (404), as on the screens."""
    call(lambda: check_region(sessions(), caller().username, code))


def idempotent(run, body: object = None) -> Response:
    """Run ``run`` once per Idempotency-Key and answer with what it answered the first time (already in
    its documented JSON form: it is not serialized again). ``body`` is what identifies the request where it
    is not JSON (a multipart upload: its form and its file's digest)."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        abort(400, message="变更类请求须提供 Idempotency-Key 请求头",
              errors={"Idempotency-Key": ["变更类请求须提供 Idempotency-Key 请求头"]})
    digest = fingerprint(request.method, request.path, body if body is not None else request.get_json(silent=True))
    answer = call(lambda: once(sessions(), caller().id, key, digest, run))
    response = jsonify(answer.body)
    response.status_code = answer.status
    return response
