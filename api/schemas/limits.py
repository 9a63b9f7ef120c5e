"""This server's limits, written into the spec's JSON schema.

The spec model bounds what any server could take; each server then refuses more than its
settings allow (``shared.spec.limit_violations``, a 422). Writing those limits (the one
table, ``shared.limits.SERVER_LIMITS``) into the schema it publishes lets a client see
them before it submits.
"""

from __future__ import annotations

from typing import Any

from shared.config import Settings
from shared.limits import SERVER_LIMITS


def _lower(schema: dict[str, Any], keyword: str, limit: float) -> None:
    current = schema.get(keyword)
    schema[keyword] = limit if current is None else min(current, limit)


def apply_server_limits(definitions: dict[str, dict[str, Any]], settings: Settings) -> None:
    """Lower the maxima of the spec's definitions (``$defs`` of the spec schema, or the
    OpenAPI document's component schemas) to ``settings``' limits, in place."""
    for limit in SERVER_LIMITS:
        name = limit.field.rsplit(".", 1)[-1]
        for model in limit.schema:
            properties = definitions.get(model, {}).get("properties", {})
            if name in properties:
                _lower(properties[name], limit.keyword, limit.maximum(settings))
