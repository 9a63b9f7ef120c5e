"""Task plugins: describing one (in a child process) and validating its options in a
process that never imports it. Torch-free.

An installed package contributes a task with an entry point in the group
``optbench.tasks`` (``my_task = "my_package.tasks:DECLARATION"``) naming a
:class:`shared.tasks.TaskDeclaration`; an admin may add one with
``OPTBENCH_TASKS="name=module:DECLARATION"``. The API describes it in a child process
(:func:`describe_task`): the options' JSON schema, the metrics and the loader's name.
From that schema it rebuilds a pydantic model of the options (:func:`options_model_from_schema`)
and validates submissions with it, so a bad option is a 422 at submission; the worker
imports the declaration itself and validates again with the plugin's own model, which
also runs any custom validators.

A declaration whose options model cannot be rendered to JSON Schema, or whose options are
not plain values (numbers, strings, booleans, choices: what a spec's ``task_options``
holds), is listed as unavailable, with the reason.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, create_model

from shared.registry import load_object
from shared.tasks.declarations import TaskDeclaration
from shared.tasks.metrics import Metric

DESCRIBER = "shared.tasks.plugins:describe_task"


def loader_name(loader: Any) -> str:
    """``module:Class`` for a loader given as a class or as that string."""
    if isinstance(loader, str):
        if ":" not in loader:
            raise ValueError(f"loader {loader!r} is not of the form module:Class")
        return loader
    if isinstance(loader, type):
        return f"{loader.__module__}:{loader.__qualname__}"
    raise ValueError(f"loader: expected a Task subclass or 'module:Class', got {loader!r}")


def declaration_of(name: str, target: str) -> TaskDeclaration:
    """The :class:`TaskDeclaration` an entry point names (imported here)."""
    declared = load_object(target)
    if not isinstance(declared, TaskDeclaration):
        raise ValueError(
            f"{target} is a {type(declared).__name__}, not a shared.tasks.TaskDeclaration"
        )
    return declared


def describe_task(name: str, target: str) -> dict[str, Any]:
    """The JSON-able description of the task an entry point names (run in a child)."""
    declared = declaration_of(name, target)
    try:
        schema = declared.options_model.model_json_schema()
    except Exception as error:  # pydantic's PydanticInvalidForJsonSchema, among others
        raise ValueError(
            f"its options model {declared.options_model.__name__} cannot be rendered to "
            f"JSON Schema ({type(error).__name__}: {error})"
        ) from None
    return {
        "description": declared.description,
        "metrics": [m.as_dict() for m in declared.metrics],
        "options_schema": schema,
        "loader": loader_name(declared.loader),
        "default_device": declared.default_device,
        "data_directory": declared.data_directory,
        "expected_format": declared.expected_format,
        "check_options": dict(declared.check_options),
    }


def adopt_task(name: str, described: dict[str, Any]) -> TaskDeclaration:
    """A declaration rebuilt from a description (``ValueError`` if it is not usable)."""
    try:
        metrics = tuple(Metric.from_dict(m) for m in described["metrics"])
        schema = described["options_schema"]
        return TaskDeclaration(
            name=name,
            description=str(described.get("description") or ""),
            metrics=metrics,
            options_model=options_model_from_schema(name, schema),
            loader=described["loader"],
            default_device=described.get("default_device") or "cpu",
            data_directory=described.get("data_directory"),
            expected_format=described.get("expected_format"),
            check_options=described.get("check_options") or {},
            described_schema=schema,
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"malformed description ({type(error).__name__}: {error})") from None


_SCALARS: dict[str, Any] = {
    "integer": int,
    "number": float,
    "string": str,
    "boolean": StrictBool,
    "null": type(None),
}
_CONSTRAINTS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
}


def options_model_from_schema(task: str, schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model accepting what ``schema`` (an options model's JSON schema)
    describes: each property's type, range, length, pattern and choices, its default,
    and no other property."""
    if schema.get("type", "object") != "object":
        raise ValueError("the options model's schema is not an object")
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for option, prop in schema.get("properties", {}).items():
        annotation, constraints = _field_type(option, _resolved(prop, schema))
        default = ... if option in required else prop.get("default")
        fields[option] = (
            annotation,
            Field(default, description=prop.get("description"), **constraints),
        )
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{task}_options",
        __config__=ConfigDict(extra="forbid", frozen=True),
        **fields,
    )


def _resolved(prop: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``prop`` with local ``$ref``s (enums become ``$defs``) replaced by their target."""

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if len(node.get("allOf", [])) == 1:  # how a referenced enum with a default looks
            node = {**{k: v for k, v in node.items() if k != "allOf"}, **node["allOf"][0]}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = schema.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
            node = {**{k: v for k, v in node.items() if k != "$ref"}, **target}
        return node

    prop = resolve(prop)
    if "anyOf" in prop:
        prop = {**prop, "anyOf": [resolve(b) for b in prop["anyOf"]]}
    return prop


def _field_type(option: str, prop: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    branches = prop.get("anyOf", [prop])
    nullable = any(b.get("type") == "null" for b in branches)
    kept = [b for b in branches if b.get("type") != "null"]
    if len(kept) != 1:
        raise ValueError(f"option {option!r}: only one type (or null) per option is supported")
    branch = kept[0]
    constraints = {_CONSTRAINTS[k]: v for k, v in branch.items() if k in _CONSTRAINTS}
    if "enum" in branch:
        annotation: Any = Literal[tuple(branch["enum"])]
    elif "const" in branch:
        annotation = Literal[branch["const"]]
    elif branch.get("type") in _SCALARS:
        annotation = _SCALARS[branch["type"]]
    else:
        raise ValueError(
            f"option {option!r}: options must be plain values (numbers, strings, "
            "booleans or choices)"
        )
    return (annotation | None if nullable else annotation), constraints
