"""A 405 answer lists every method its path supports.

Each route is one method on one path, so the router's 405 for a path with several routes
names only the first route's methods; this handler collects them from every route whose
path matches.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException


def allowed_methods(request: Request) -> list[str]:
    """The methods of every route of the application whose path matches the request's."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        pattern = getattr(route, "path_regex", None)
        if route.methods and pattern is not None and pattern.match(path):
            methods |= route.methods
    return sorted(methods)


async def method_not_allowed(request: Request, error: Exception) -> Response:
    """FastAPI's answer to an HTTP error, with a complete ``Allow`` header on a 405."""
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        methods = allowed_methods(request)
        if methods:
            error.headers = {**(error.headers or {}), "Allow": ", ".join(methods)}
    return await http_exception_handler(request, error)
