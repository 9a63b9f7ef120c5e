"""The built web page (frontend/dist), served at / with a Content-Security-Policy.

The page is static: its scripts and styles are files of its own origin, and it talks only
to this API. The policy says exactly that, so an injected script or a data-driven
``<script>`` cannot run even if some value escaped the templates. Plotly needs two
allowances, both narrow: it appends *empty* ``<style>`` elements and fills them through
the CSSOM (allowed by the hash of the empty string, nothing else inline), and its image
export uses ``data:``/``blob:`` URLs. No ``unsafe-eval`` and no ``unsafe-inline``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.methods import allowed_methods

DIST = Path(__file__).resolve().parents[1] / "frontend" / "dist"

# sha256 of the empty string: lets Plotly create its empty <style> elements.
EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' {EMPTY_STYLE}",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class WebPage(StaticFiles):
    """StaticFiles for the page: every answer carries the security headers; the hashed
    bundles under ``assets/`` are cached for good, the entry page is revalidated."""

    def __init__(self, directory: Path = DIST) -> None:
        super().__init__(directory=directory, html=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as error:  # a missing file: answered here, with the headers
            headers = {}
            routed = allowed_methods(Request(scope))
            if error.status_code == 404 and routed:
                # a GET of a path the API serves by other methods only (POST …/cancel):
                # the mount at / sees it last, and the path exists, so it is a 405
                error = HTTPException(405, "Method Not Allowed")
            if error.status_code == 405:
                # A method no route takes, on an API path or a page path: the mount at /
                # sees it last, so it names what the path does take.
                headers["Allow"] = ", ".join(allowed_methods(Request(scope)) or ["GET", "HEAD"])
            response = PlainTextResponse(
                error.detail, status_code=error.status_code, headers=headers
            )
        response.headers.update(SECURITY_HEADERS)
        if path.startswith("assets/") and response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response


def built() -> bool:
    """Whether the page has been built (``make web``)."""
    return (DIST / "index.html").exists()
