"""The JSON schema of an optimizer configuration, generated from the registry.

A spec's ``optimizers`` entries are validated by the registry (names, hyperparameter
names, types and ranges); this module says the same in JSON Schema, so that a client (the
web page's form, a generated client, a fuzzer) sees what the server will accept: the
name is one of the registered ones, and each optimizer's ``hyperparameters`` object lists
exactly its hyperparameters with their types, ranges and defaults. A wrapper's entry may
name a ``base``; its own hyperparameters are typed here and the base's, ``base.NAME``,
are checked by the server against the base it names.
"""

from __future__ import annotations

from typing import Any

from shared.optim.declarations import (
    BASE_PREFIX,
    WRAPPERS,
    base_names,
    declaration,
    optimizer_names,
)
from shared.optim.hyperparameters import Hyperparameter


def hyperparameter_schema(hyperparameter: Hyperparameter) -> dict[str, Any]:
    """One hyperparameter's value: its JSON type, range (or choices), default, meaning."""
    schema: dict[str, Any]
    if hyperparameter.type is bool:
        schema = {"type": "boolean"}
    elif hyperparameter.type is str:
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


#: A base's hyperparameter, as far as the schema can say without knowing the base.
BASE_VALUE = {"type": ["number", "string", "boolean"]}
BASE_PATTERN = "^" + BASE_PREFIX.replace(".", "\\.")


def _declared(name: str, wrapped: bool) -> tuple[Hyperparameter, ...]:
    return WRAPPERS[name].hyperparameters if wrapped else declaration(name).hyperparameters


def hyperparameters_schema(name: str, wrapped: bool = False) -> dict[str, Any]:
    """The ``hyperparameters`` object of optimizer ``name``: its own, nothing else (and,
    ``wrapped`` around a base, the base's as ``base.NAME``)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {h.name: hyperparameter_schema(h) for h in _declared(name, wrapped)},
        "additionalProperties": False,
    }
    if wrapped:
        schema["patternProperties"] = {BASE_PATTERN: BASE_VALUE}
    return schema


def sweep_schema(
    name: str, max_swept: int = 2, max_values: int = 100, wrapped: bool = False
) -> dict[str, Any]:
    """The ``sweep`` object of optimizer ``name``: one or ``max_swept`` of its
    hyperparameters, each a non-empty list of distinct values of that hyperparameter."""
    declared = _declared(name, wrapped)
    values = {"type": "array", "items": BASE_VALUE, "minItems": 1, "maxItems": max_values}
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
                **({"patternProperties": {BASE_PATTERN: values}} if wrapped else {}),
                "minProperties": 1,
                "maxProperties": max_swept,
            },
            {"type": "null"},
        ]
    }


def _branch(name: str) -> dict[str, Any]:
    """The schema of an entry named ``name``: a plain optimizer, or a wrapper (with a
    base, or without: ``sam`` is then the paper's SAM, the others wrap ``sgd``)."""
    plain = {
        "properties": {
            "name": {"const": name},
            "base": {"type": "null"},
            "hyperparameters": hyperparameters_schema(name),
            "sweep": sweep_schema(name),
        }
    }
    if name not in WRAPPERS:
        return plain
    wrapped = {
        "properties": {
            "name": {"const": name},
            "base": {"enum": base_names()},
            "hyperparameters": hyperparameters_schema(name, wrapped=True),
            "sweep": sweep_schema(name, wrapped=True),
        },
        "required": ["base"],
    }
    return {"properties": {"name": {"const": name}}, "anyOf": [plain, wrapped]}


def add_optimizer_schemas(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of an optimizer configuration: the name is an enum, and one
    ``oneOf`` branch per optimizer (told apart by the name) types its hyperparameters and
    what its ``sweep`` may range over."""
    names = optimizer_names()
    schema["properties"]["name"]["enum"] = names
    schema["properties"]["base"] = {
        "anyOf": [{"type": "string", "enum": base_names()}, {"type": "null"}],
        "default": None,
        "description": schema["properties"].get("base", {}).get("description", ""),
    }
    schema["oneOf"] = [_branch(name) for name in names]


def add_name_enum(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a bare optimizer name (``"sgd"`` for ``{"name": "sgd"}``)."""
    schema["enum"] = optimizer_names()
