"""The API for other systems (the settlement platform, the bank interface, the finance bureau):
``/api/v1``, described at ``/api/openapi.json`` and browsable at ``/api/docs`` (no CDN)."""
from __future__ import annotations

from flask import Flask, render_template
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect

from ..validation import YEAR_MAX, YEAR_MIN, Date, DecimalString, Month, StrictBoolean, StrictInteger
from ..web.converters import ID_MAX, IdConverter, YearConverter
from . import books, deposit, documents, intake, profiles, recovery, registry, resources  # noqa: F401  (their routes join the blueprint)
from .errors import json_error
from .routing import blp
from .schemas.common import DecimalOut, MoneyOut


class PrepayApi(Api):
    def handle_http_exception(self, error):
        return json_error(error)


def _accepted(self, field, **kwargs) -> dict:
    """apispec: a strict input field documents exactly what its check accepts (its own ``openapi()``)."""
    return field.openapi() if isinstance(field, (Date, DecimalString, Month, StrictInteger)) else {}


def install(app: Flask, csrf: CSRFProtect) -> Api:
    app.config.update(
        API_TITLE="prepay-admin 医保基金预付金 API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="openapi.json",
    )
    api = PrepayApi(app, spec_kwargs={"info": {"description": "金额为两位小数的字符串；日期为 ISO 格式；"
                                                              "错误为 {code, message, errors}"}})
    api.register_converter(IdConverter, lambda _: {"type": "integer", "minimum": 1, "maximum": ID_MAX})
    api.register_converter(YearConverter, lambda _: {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX})
    # the strict input fields shared with the compute contract, documented as what they accept
    api.register_field(Date, "string", "date")
    api.register_field(DecimalString, "string", None)
    api.register_field(StrictInteger, "integer", None)
    api.register_field(StrictBoolean, "boolean", None)
    api.register_field(MoneyOut, "string", None)
    api.register_field(DecimalOut, "string", None)
    api.register_field(Month, "string", None)
    api.ma_plugin.converter.add_attribute_function(_accepted)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    csrf.exempt(blp)  # bearer tokens, no cookies: nothing for a cross-site form to ride on
    api.register_blueprint(blp)

    @app.get("/api/docs")
    def api_docs():
        """The endpoints, readable offline (no Swagger UI from a CDN)."""
        spec = api.spec.to_dict()
        return render_template("api_docs.html", spec=spec)

    return api
