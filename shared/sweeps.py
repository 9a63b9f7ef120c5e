"""Sweeps: one optimizer entry run over a grid of hyperparameter values.

An optimizer entry may carry ``sweep: {HYPERPARAMETER: [values…]}`` over one or two of
its hyperparameters. It stands for one configuration per point of the full grid (the
first hyperparameter varies slowest), each labelled by its values, e.g.
``nig_sgd@rho=0.5`` or ``nim_bh@rho=0.5,tau=100``. The expansion happens where runs are
created: the stored spec lists the expanded configurations, each remembering the entry
it came from (``sweep_of``) and its point (``sweep_values``), so workers run plain
configurations and results can be plotted against the swept values.

Pure Python (no PyTorch): the API validates and expands specs with it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from shared.optim.declarations import hyperparameters
from shared.optim.hyperparameters import HyperparameterError

#: Hyperparameters one entry may sweep together (a full grid over them).
MAX_SWEPT = 2
#: Values one swept hyperparameter may take.
MAX_SWEEP_VALUES = 100
Scalar = bool | float | int | str


class SweptEntry(Protocol):
    """What the expansion needs of an optimizer entry (``shared.spec.OptimizerSpec``)."""

    name: str
    hyperparameters: dict[str, Scalar]

    @property
    def optimizer(self) -> str: ...

    sweep: dict[str, list[Scalar]] | None
    sweep_of: str | None
    sweep_values: dict[str, Scalar] | None

    @property
    def key(self) -> str: ...

    def model_copy(self, *, update: dict[str, Any]) -> Any: ...


def validate_sweep(
    optimizer: str, sweep: Mapping[str, Sequence[Any]], fixed: Iterable[str] = ()
) -> dict[str, list[Scalar]]:
    """The sweep with each value coerced to its hyperparameter's type, or a
    ``HyperparameterError`` naming ``sweep.NAME`` and every offending value."""
    if not 1 <= len(sweep) <= MAX_SWEPT:
        raise HyperparameterError("sweep", f"sweep one or {MAX_SWEPT} hyperparameters")
    declared = {h.name: h for h in hyperparameters(optimizer)}
    fixed = set(fixed)
    out: dict[str, list[Scalar]] = {}
    for name, values in sweep.items():
        field = f"sweep.{name}"
        if name not in declared:
            raise HyperparameterError(
                field, f"{optimizer} has no such hyperparameter; valid ones: {', '.join(declared)}"
            )
        if name in fixed:
            raise HyperparameterError(field, "both set in hyperparameters and swept")
        if not isinstance(values, list) or not values:
            raise HyperparameterError(field, "expected a non-empty list of values")
        if len(values) > MAX_SWEEP_VALUES:
            raise HyperparameterError(field, f"at most {MAX_SWEEP_VALUES} values")
        coerced, bad = [], []
        for value in values:
            try:
                coerced.append(declared[name].validate(value))
            except HyperparameterError as error:
                bad.append((value, error.reason))
        if bad:
            listed = ", ".join(repr(v) for v, _ in bad)
            raise HyperparameterError(field, f"invalid values {listed}: {bad[0][1]}")
        if len(set(coerced)) != len(coerced):
            raise HyperparameterError(field, "a value appears twice")
        out[name] = coerced
    return out


def grid(sweep: Mapping[str, Sequence[Scalar]]) -> list[dict[str, Scalar]]:
    """Every point of the full grid, the first hyperparameter varying slowest."""
    names = list(sweep)
    return [dict(zip(names, point, strict=True)) for point in itertools.product(*sweep.values())]


def value_text(value: Scalar) -> str:
    """A swept value as it appears in a label: integers plainly, floats to 12 digits."""
    if isinstance(value, float):
        return format(value, ".12g")
    return str(value)


def point_label(key: str, values: Mapping[str, Scalar]) -> str:
    """``nig_sgd@rho=0.5``: the entry's key and the point's values."""
    return key + "@" + ",".join(f"{k}={value_text(v)}" for k, v in values.items())


def configuration_count(entries: Iterable[SweptEntry]) -> int:
    """Configurations the entries stand for once expanded."""
    total = 0
    for entry in entries:
        if entry.sweep:
            size = 1
            for values in entry.sweep.values():
                size *= len(values)
            total += size
        else:
            total += 1
    return total


def expanded_keys(entry: SweptEntry) -> list[str]:
    if not entry.sweep:
        return [entry.key]
    return [point_label(entry.key, point) for point in grid(entry.sweep)]


def expand(entries: Iterable[SweptEntry]) -> list[Any]:
    """One configuration per grid point of each swept entry; others unchanged."""
    out: list[Any] = []
    for entry in entries:
        if not entry.sweep:
            out.append(entry)
            continue
        for point in grid(entry.sweep):
            out.append(
                entry.model_copy(
                    update={
                        "label": point_label(entry.key, point),
                        "hyperparameters": {**entry.hyperparameters, **point},
                        "sweep": None,
                        "sweep_of": entry.key,
                        "sweep_values": dict(point),
                    }
                )
            )
    return out


def sweep_series(
    entries: Iterable[SweptEntry], measure: Callable[[str], dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """Expanded configurations grouped by the entry they came from, in grid order:
    ``{"of", "name", "parameters", "points": [{"optimizer", "values", **measure(key)}]}``.
    ``measure(key)`` adds what is plotted against the values (None: not available yet)."""
    series: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.sweep_of is None or not entry.sweep_values:
            continue
        group = series.setdefault(
            entry.sweep_of,
            {
                "of": entry.sweep_of,
                "name": entry.optimizer,
                "parameters": list(entry.sweep_values),
                "points": [],
            },
        )
        measured = measure(entry.key)
        group["points"].append(
            {"optimizer": entry.key, "values": dict(entry.sweep_values), **(measured or {})}
        )
    return list(series.values())
