"""Response headers every screen carries: no inline script, no framing, no MIME sniffing, a referrer policy."""
from __future__ import annotations

from flask import Flask, Response

HEADERS = {
    # every asset is vendored (offline government networks): nothing but this site, no inline script or style
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # screens show personal and financial data: never from a shared cache
}


def install(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype.startswith(("text/css", "image/", "application/javascript")):
            response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers.pop("Server", None)
        return response
