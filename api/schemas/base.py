"""Building blocks of the response models.

* :data:`Number`: a float that may be undefined. Statistics report an undefined value as
  NaN; JSON has no NaN, so the API sends ``null`` and the schema says so.
* :func:`model_of`: a response model generated from one of the statistics' frozen
  dataclasses, so the dataclass stays the one place a result's fields are declared (a
  field added there appears in the API and its schema without another edit).
* :class:`Strict`: the base of hand-written models; an undeclared field is an error, so
  a route that starts returning a new key fails its tests instead of losing the key.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import math
import textwrap
import types
import typing
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model


def _finite_or_none(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


Number = Annotated[
    float | None,
    AfterValidator(_finite_or_none),
    Field(description="null where the value is undefined (NaN or infinite)"),
]
"""A float, or ``null`` where it is undefined (NaN, ±inf)."""


class Strict(BaseModel):
    """A response model that declares every field it may carry."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)


def attribute_docs(cls: type) -> dict[str, str]:
    """Field descriptions written in a class's source: a string literal right after the
    field, or ``#:`` comment lines right above it."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    tree = ast.parse(source).body[0]
    assert isinstance(tree, ast.ClassDef)
    docs: dict[str, str] = {}
    body = tree.body
    for index, node in enumerate(body):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        name = node.target.id
        following = body[index + 1] if index + 1 < len(body) else None
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[name] = inspect.cleandoc(following.value.value)
            continue
        comments = []
        row = node.lineno - 2
        while row >= 0 and lines[row].strip().startswith("#:"):
            comments.insert(0, lines[row].strip()[2:].strip())
            row -= 1
        if comments:
            docs[name] = " ".join(comments)
    return docs


def _response_type(annotation: Any) -> Any:
    """The annotation with floats made nullable and dataclasses made models."""
    if annotation is float:
        return Number
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return model_of(annotation)
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if float in arguments:  # Number already admits null
            arguments = tuple(a for a in arguments if a is not type(None))
        converted = tuple(_response_type(a) for a in arguments)
        return converted[0] if len(converted) == 1 else typing.Union[converted]  # noqa: UP007
    if origin in (list, Sequence):
        return list[_response_type(arguments[0])]
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return list[_response_type(arguments[0])]
        return tuple[tuple(_response_type(a) for a in arguments)]
    if origin in (dict, Mapping):
        return dict[arguments[0], _response_type(arguments[1])]
    return annotation


@cache
def model_of(cls: type) -> type[BaseModel]:
    """A pydantic model with the fields of the dataclass ``cls`` (same names, defaults
    and descriptions); floats become :data:`Number`, nested dataclasses models too."""
    hints = typing.get_type_hints(cls)
    docs = attribute_docs(cls)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = ...
        fields[field.name] = (
            _response_type(hints[field.name]),
            Field(default, description=docs.get(field.name)),
        )
    return create_model(
        cls.__name__,
        __config__=ConfigDict(extra="forbid", from_attributes=True),
        __doc__=inspect.cleandoc(cls.__doc__ or cls.__name__),
        __module__=__name__,
        **fields,
    )
