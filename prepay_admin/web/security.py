"""Response headers every screen carries: no inline script, no framing, no MIME sniffing, a referrer policy."""
from __future__ import annotations

from flask import Flask, Response, abort, make_response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

HEADERS = {
    # every asset is vendored (offline government networks): nothing but this site, no inline script or style
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # screens show personal and financial data: never from a shared cache
}


TITLES = {400: "请求有误", 403: "无权执行此操作", 404: "没有找到", 405: "不支持的操作", 429: "请求过于频繁"}


def html_error(err: HTTPException):
    """Errors in Chinese, in the site's frame; never a traceback."""
    title = TITLES.get(err.code, "出错了")
    message = err.description if err.code in (400, 403) and err.description and not err.description.isascii() \
        else title
    from ..api.errors import carry_headers

    response = make_response(render_template("error.html", code=err.code, title=title, message=message), err.code)
    carry_headers(err, response)
    return response


HSTS = "max-age=31536000"  # a year: browsers that saw HTTPS once never fall back to plain HTTP


class SessionInterface(SecureCookieSessionInterface):
    """The signed cookie session, refreshed on each request (the idle timeout) except by a page's background
    fetch (the institution picker): sent while a form is being posted, its answer would write back the
    session as it was before the post, bringing back a message already shown or dropping a new one."""

    def should_set_cookie(self, app: Flask, session) -> bool:
        if request.endpoint in BACKGROUND:
            return False
        return super().should_set_cookie(app, session)


BACKGROUND = frozenset({"institutions.suggest"})  # reads the page fetches by itself, never a step


def install(app: Flask, hsts: bool = False) -> None:
    """``hsts`` (production): HTTPS answers tell the browser to use nothing else (where TLS ends at a
    proxy, ``PREPAY_TRUSTED_PROXIES`` lets the app see the scheme the client used)."""
    app.session_interface = SessionInterface()
    @app.get("/favicon.ico")
    def _favicon():
        """Browsers ask for /favicon.ico whatever the page links: the site's icon (SVG), not a 404."""
        return app.send_static_file("favicon.svg")

    @app.before_request
    def _no_nul() -> None:
        """A NUL character cannot be stored nor looked up in PostgreSQL's text: a path, query or form value
        with one is refused before any query (the schema fuzz found a 500 at /api/v1/profiles/%00)."""
        values = [request.path, *request.args.values(), *(request.form.values() if request.form else ())]
        if any("\x00" in value for value in values):
            abort(400, description="请求中含有空字符（\\0），无法处理")

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if hsts and request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype.startswith(("text/css", "image/", "application/javascript")):
            response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers.pop("Server", None)
        return response
