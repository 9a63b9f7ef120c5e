"""Typed hyperparameters inferred from an optimizer class's ``__init__`` signature.

A plain ``torch.optim.Optimizer`` subclass in a lab's package needs no optbench import:
its keyword parameters with float, int or bool defaults become typed hyperparameters,
and a tuple of numbers (``betas=(0.9, 0.999)``) becomes one hyperparameter per element
(``beta1``, ``beta2``). Names the field agrees on get their usual ranges (a learning rate
is positive and searched on a log scale; momentum and betas lie in [0, 1)); anything
else is typed but unbounded. Pure Python: nothing here imports torch.
"""

from __future__ import annotations

import inspect
from typing import Any

from shared.optim.hyperparameters import Hyperparameter

#: torch.optim's implementation switches: not hyperparameters of the algorithm.
IMPLEMENTATION_FLAGS = frozenset({"foreach", "maximize", "capturable", "differentiable", "fused"})


class UntypedSignatureError(ValueError):
    """The class's signature cannot be turned into typed hyperparameters."""


def _bounds(name: str, default: float) -> dict[str, Any]:
    """The usual range of a hyperparameter called ``name``, if its default lies in it."""
    if name == "lr" or name.endswith("_lr"):
        bounds: dict[str, Any] = {"low": 0.0, "low_inclusive": False, "log": True}
    elif "weight_decay" in name:
        bounds = {"low": 0.0, "log": True}
    elif name in {"momentum", "alpha"} or name.startswith("beta"):
        bounds = {"low": 0.0, "high": 1.0, "high_inclusive": False}
    elif name == "dampening":
        bounds = {"low": 0.0, "high": 1.0}
    elif name == "eps":
        bounds = {"low": 0.0}
    else:
        return {}
    probe = Hyperparameter(name, float, default, "", **bounds)
    try:
        probe.validate(default)
    except ValueError:
        return {}
    return bounds


def _annotation_text(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return ""
    return annotation if isinstance(annotation, str) else str(annotation)


def _scalar(
    name: str, default: Any, description: str, annotation: str = ""
) -> Hyperparameter | None:
    """A typed hyperparameter for ``default``; an int default is a float when the
    annotation says float or the name is a real-valued one by convention (``lr=1``,
    ``weight_decay=0``)."""
    if isinstance(default, bool):
        return Hyperparameter(name, bool, default, description)
    if isinstance(default, int) and not ("float" in annotation or _bounds(name, float(default))):
        return Hyperparameter(name, int, default, description)
    if isinstance(default, (int, float)):
        value = float(default)
        return Hyperparameter(name, float, value, description, **_bounds(name, value))
    return None


def tuple_element_names(name: str, length: int) -> tuple[str, ...]:
    """``betas`` of length 2 → ``beta1``, ``beta2``."""
    stem = name[:-1] if name.endswith("s") and len(name) > 1 else name
    return tuple(f"{stem}{i + 1}" for i in range(length))


def infer_hyperparameters(
    cls: type,
) -> tuple[tuple[Hyperparameter, ...], tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    """``(hyperparameters, tuples, skipped)`` of ``cls.__init__``: the typed
    hyperparameters; each tuple argument with the names of its elements; and the keyword
    parameters left at the class's own default (``None`` or non-numeric defaults).

    Raises :class:`UntypedSignatureError` for a parameter with no default (other than
    the parameters themselves) or a signature that names nothing but ``**kwargs``.
    """
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError) as error:
        raise UntypedSignatureError(f"its signature cannot be read: {error}") from None
    parameters = list(signature.parameters.values())[1:]  # self
    if parameters and parameters[0].kind is not inspect.Parameter.VAR_KEYWORD:
        parameters = parameters[1:]  # params: the tensors to optimise
    named = [
        p
        for p in parameters
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if not named and any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        raise UntypedSignatureError(
            "its __init__ takes only **kwargs, so no hyperparameter can be typed; give "
            "each one a keyword parameter with a default, or register a declaration"
        )
    declared: list[Hyperparameter] = []
    tuples: list[tuple[str, tuple[str, ...]]] = []
    skipped: list[str] = []
    for p in named:
        if p.name in IMPLEMENTATION_FLAGS:
            continue
        if p.default is inspect.Parameter.empty:
            raise UntypedSignatureError(
                f"parameter {p.name!r} has no default, so a spec could not leave it out"
            )
        default = p.default
        annotation = _annotation_text(p.annotation)
        described = f"{p.name} (inferred from the class's signature)"
        if (
            isinstance(default, (tuple, list))
            and default
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in default)
        ):
            names = tuple_element_names(p.name, len(default))
            for element, value in zip(names, default, strict=True):
                typed = _scalar(element, value, f"element of {described}", annotation)
                assert typed is not None
                declared.append(typed)
            tuples.append((p.name, names))
            continue
        typed = _scalar(p.name, default, described, annotation)
        if typed is None:
            skipped.append(p.name)
        else:
            declared.append(typed)
    names = [h.name for h in declared]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise UntypedSignatureError(f"hyperparameter name {clash[0]!r} would appear twice")
    return tuple(declared), tuple(tuples), tuple(skipped)


def needs_closure(cls: type) -> bool:
    """Whether ``cls.step`` requires a closure (``step(self, closure)`` with no default)."""
    try:
        parameters = list(inspect.signature(cls.step).parameters.values())[1:]
    except (TypeError, ValueError, AttributeError):
        return False
    return bool(parameters) and parameters[0].default is inspect.Parameter.empty


def constructor_arguments(
    values: dict[str, Any], tuples: tuple[tuple[str, tuple[str, ...]], ...]
) -> dict[str, Any]:
    """Hyperparameter values as the class's keyword arguments (``beta1``, ``beta2`` back
    into ``betas``)."""
    arguments = dict(values)
    for argument, elements in tuples:
        arguments[argument] = tuple(arguments.pop(e) for e in elements)
    return arguments
