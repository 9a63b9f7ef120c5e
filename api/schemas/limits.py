"""This server's limits, written into the spec's JSON schema.

The spec model bounds what any server could take; each server then refuses more than its
settings allow (``shared.spec.limit_violations``, a 422). Writing those limits into the
schema it publishes lets a client see them before it submits.
"""

from __future__ import annotations

from typing import Any

from shared.config import Settings


def _lower(schema: dict[str, Any], keyword: str, limit: float) -> None:
    current = schema.get(keyword)
    schema[keyword] = limit if current is None else min(current, limit)


def apply_server_limits(definitions: dict[str, dict[str, Any]], settings: Settings) -> None:
    """Lower the maxima of the spec's definitions (``$defs`` of the spec schema, or the
    OpenAPI document's component schemas) to ``settings``' limits, in place."""
    bounds = {
        "LandscapeSpec": {
            "restarts": ("maximum", settings.max_restarts),
            "iterations": ("maximum", settings.max_iterations),
            "functions": ("maxItems", settings.max_functions),
            "optimizers": ("maxItems", settings.max_optimizers),
        },
        "TrainingSpec": {
            "trajectories": ("maximum", settings.max_trajectories),
            "optimizers": ("maxItems", settings.max_optimizers),
        },
        "TuningSpec": {"optimizers": ("maxItems", settings.max_optimizers)},
        "TuningSettings": {
            "trials": ("maximum", settings.max_trials),
            "gradient_evaluations": ("maximum", settings.max_gradient_evaluations),
        },
        "EpochBudget": {"epochs": ("maximum", settings.max_epochs)},
        "GradientBudget": {"gradient_evaluations": ("maximum", settings.max_gradient_evaluations)},
    }
    for model, fields in bounds.items():
        properties = definitions.get(model, {}).get("properties", {})
        for field, (keyword, limit) in fields.items():
            if field in properties:
                _lower(properties[field], keyword, limit)
