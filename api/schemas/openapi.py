"""The OpenAPI document as this server publishes it: its limits in the spec's schema, and
no token asked of the endpoints that need none."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from api.deps import is_public
from api.schemas.limits import apply_server_limits
from shared.config import Settings


def drop_security_of_public_routes(app: FastAPI, document: dict[str, Any]) -> None:
    """Every ``/api/v1`` route sits behind the token check, so the generated document asks
    a token of all of them; the ones marked public answer without it, and say so."""
    for route in iter_route_contexts(app.routes):
        if route.endpoint is not None and route.path_format and is_public(route.endpoint):
            for method in route.methods or ():
                operation = document["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    operation.pop("security", None)
                    for code in ("401", "403"):
                        operation.get("responses", {}).pop(code, None)


def publish_openapi(app: FastAPI, settings: Settings) -> None:
    """Make ``app.openapi()`` return the finished document (built once, then cached)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            apply_server_limits(document.get("components", {}).get("schemas", {}), settings)
            drop_security_of_public_routes(app, document)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
