"""The JSON schema of an optimizer configuration, generated from the registry.

A spec's ``optimizers`` entries are validated by the registry (names, hyperparameter
names, types and ranges); this module says the same in JSON Schema, so that a client (the
web page's form, a generated client, a fuzzer) sees what the server will accept: the
name is one of the registered ones, and each optimizer's ``hyperparameters`` object lists
exactly its hyperparameters with their types, ranges and defaults.
"""

from __future__ import annotations

from typing import Any

from shared.optim.declarations import DECLARATIONS, OPTIMIZER_NAMES
from shared.optim.hyperparameters import Hyperparameter


def hyperparameter_schema(hyperparameter: Hyperparameter) -> dict[str, Any]:
    """One hyperparameter's value: its JSON type, range (or choices), default, meaning."""
    schema: dict[str, Any]
    if hyperparameter.type is str:
        schema = {"type": "string"}
        if hyperparameter.choices:
            schema["enum"] = list(hyperparameter.choices)
    else:
        schema = {"type": "integer" if hyperparameter.type is int else "number"}
        if hyperparameter.low is not None:
            bound = "minimum" if hyperparameter.low_inclusive else "exclusiveMinimum"
            schema[bound] = hyperparameter.low
        if hyperparameter.high is not None:
            bound = "maximum" if hyperparameter.high_inclusive else "exclusiveMaximum"
            schema[bound] = hyperparameter.high
    schema["default"] = hyperparameter.default
    schema["description"] = hyperparameter.description
    return schema


def hyperparameters_schema(name: str) -> dict[str, Any]:
    """The ``hyperparameters`` object of optimizer ``name``: its own, nothing else."""
    declared = DECLARATIONS[name].hyperparameters
    return {
        "type": "object",
        "properties": {h.name: hyperparameter_schema(h) for h in declared},
        "additionalProperties": False,
    }


def sweep_schema(name: str, max_swept: int = 2, max_values: int = 100) -> dict[str, Any]:
    """The ``sweep`` object of optimizer ``name``: one or ``max_swept`` of its
    hyperparameters, each a non-empty list of distinct values of that hyperparameter."""
    declared = DECLARATIONS[name].hyperparameters
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    h.name: {
                        "type": "array",
                        "items": {
                            k: v for k, v in hyperparameter_schema(h).items() if k != "default"
                        },
                        "minItems": 1,
                        "maxItems": max_values,
                        "uniqueItems": True,
                    }
                    for h in declared
                },
                "additionalProperties": False,
                "minProperties": 1,
                "maxProperties": max_swept,
            },
            {"type": "null"},
        ]
    }


def add_optimizer_schemas(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of an optimizer configuration: the name is an enum, and one
    ``oneOf`` branch per optimizer (told apart by the name) types its hyperparameters and
    what its ``sweep`` may range over."""
    schema["properties"]["name"]["enum"] = list(OPTIMIZER_NAMES)
    schema["oneOf"] = [
        {
            "properties": {
                "name": {"const": name},
                "hyperparameters": hyperparameters_schema(name),
                "sweep": sweep_schema(name),
            }
        }
        for name in OPTIMIZER_NAMES
    ]


def add_name_enum(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a bare optimizer name (``"sgd"`` for ``{"name": "sgd"}``)."""
    schema["enum"] = list(OPTIMIZER_NAMES)
