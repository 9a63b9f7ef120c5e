"""The web page's static answers carry the Content-Security-Policy and cache headers."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from api.web_page import CONTENT_SECURITY_POLICY, EMPTY_STYLE, WebPage


def page_client(tmp_path: Path) -> TestClient:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>optbench</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    app = Starlette(routes=[Mount("/", WebPage(tmp_path), name="web")])
    return TestClient(app)


def test_every_page_answer_has_the_policy(tmp_path: Path) -> None:
    client = page_client(tmp_path)
    for path in ("/", "/index.html", "/assets/index-abc123.js", "/missing.js"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/missing.js").status_code == 404


def test_policy_allows_no_inline_script_and_no_eval() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == f"'self' {EMPTY_STYLE}"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_hashed_bundles_are_cached_and_the_entry_page_revalidated(tmp_path: Path) -> None:
    client = page_client(tmp_path)
    assert client.get("/assets/index-abc123.js").headers["cache-control"] == (
        "public, max-age=31536000, immutable"
    )
    assert client.get("/").headers["cache-control"] == "no-cache"


def test_a_method_the_page_does_not_take_names_the_ones_it_does(tmp_path: Path) -> None:
    # The mount at / sees every request no route took, API paths included: its 405 must
    # carry an Allow header like the API's own (RFC 9110).
    async def experiments(request):  # type: ignore[no-untyped-def]
        return PlainTextResponse("")

    page = WebPage(tmp_path)
    (tmp_path / "index.html").write_text("<!doctype html><title>optbench</title>")
    app = Starlette(
        routes=[
            Route("/api/v1/experiments", experiments, methods=["GET", "POST"]),
            Mount("/", page, name="web"),
        ]
    )
    client = TestClient(app)
    response = client.request("TRACE", "/index.html")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    response = client.request("TRACE", "/api/v1/experiments")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, POST"


def test_a_get_of_a_path_served_only_by_other_methods_is_a_405(tmp_path: Path) -> None:
    """``GET …/cancel`` reaches the page's mount (no GET route takes it); the path exists,
    so the answer is a 405 naming POST, not the page's 404."""

    async def cancel(request):  # type: ignore[no-untyped-def]
        return PlainTextResponse("")

    page = WebPage(tmp_path)
    (tmp_path / "index.html").write_text("<!doctype html><title>optbench</title>")
    app = Starlette(
        routes=[
            Route("/api/v1/experiments/{id}/cancel", cancel, methods=["POST"]),
            Mount("/", page, name="web"),
        ]
    )
    client = TestClient(app)
    response = client.get("/api/v1/experiments/3/cancel")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert client.get("/missing.js").status_code == 404
