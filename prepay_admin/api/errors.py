"""Every API error is JSON ``{code, message, errors: {field: [...]}}`` with a 4xx status; never a page."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.exceptions import HTTPException

MESSAGES = {400: "请求有误", 401: "未认证：须提供有效的 Bearer 令牌", 403: "无权执行此操作", 404: "没有找到",
            405: "不支持的方法", 409: "与已有请求冲突", 413: "请求过大", 415: "须为 application/json",
            422: "输入有误", 429: "请求过于频繁"}


def field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' nested messages ({"json": {"a": {"b": [...]}}}) as {"a.b": [...]} ."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key in ("json", "query", "path", "headers", "form", "files", "multipart", "_schema") else (
                f"{prefix}.{key}" if prefix else str(key))
            for k, v in field_errors(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                for k, v in field_errors(item, prefix).items():
                    out.setdefault(k, []).extend(v)
            else:
                out.setdefault(prefix or "_", []).append(str(item))
    else:
        out.setdefault(prefix or "_", []).append(str(messages))
    return out


def json_error(err: HTTPException):
    data = getattr(err, "data", None) or {}
    errors = field_errors(data.get("messages", {}))
    errors.update(data.get("errors", {}))
    description = err.description if err.description and not err.description.isascii() else None
    message = data.get("message") or description or MESSAGES.get(err.code, "请求有误")
    response = jsonify({"code": err.code, "message": message, "errors": errors})
    response.status_code = err.code or 400
    carry_headers(err, response)
    return response


def carry_headers(err: HTTPException, response) -> None:
    """The headers the error itself carries (a 405's ``Allow``, a 401's ``WWW-Authenticate``, a 429's
    ``Retry-After``), which a rendered error page or JSON body would otherwise drop (issue 28)."""
    for name, value in err.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    extra = getattr(err, "data", None) or {}
    for name, value in (extra.get("headers") or {}).items():
        response.headers[name] = value
