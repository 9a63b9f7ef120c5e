"""Search spaces, from the optimizers' hyperparameter declarations.

Every numeric hyperparameter is searched by default: on a log scale for learning rates
(any name ending in ``lr``, e.g. ``base.lr``) and weight decay, linearly elsewhere, over
a range derived from its default and clipped to its declared range. A spec may replace an
optimizer's space with ranges, choices and fixed values; each is checked against the
declaration, and a problem is reported at the field it concerns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.optim.declarations import hyperparameters
from shared.optim.hyperparameters import Hyperparameter, HyperparameterError
from shared.tuning.settings import SearchChoices, SearchEntry, SearchRange

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Dimension:
    """One searched hyperparameter: a numeric range or a list of choices."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    choices: tuple[Any, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.choices is not None:
            return {"name": self.name, "choices": list(self.choices)}
        return {
            "name": self.name,
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "integer": self.integer,
        }


@dataclass(frozen=True)
class SearchSpace:
    """What a study searches for one optimizer, and the values it keeps fixed."""

    dimensions: tuple[Dimension, ...]
    fixed: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"dimensions": [d.as_dict() for d in self.dimensions], "fixed": self.fixed}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchSpace:
        dims = []
        for d in data["dimensions"]:
            if "choices" in d:
                dims.append(Dimension(d["name"], choices=tuple(d["choices"])))
            else:
                dims.append(Dimension(d["name"], d["low"], d["high"], d["log"], d["integer"]))
        return cls(tuple(dims), dict(data["fixed"]))


class SearchSpaceError(ValueError):
    """A search entry the declaration refuses; ``loc`` is relative to the optimizer's
    search mapping."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc


def log_scale(h: Hyperparameter) -> bool:
    """What its declaration marks log (learning rates, decay rates, eps), and any learning
    rate or weight decay, is searched on a log scale by default."""
    return h.type is float and (h.log or h.name.endswith("lr") or h.name.endswith("weight_decay"))


def default_dimension(h: Hyperparameter) -> Dimension | None:
    """The default range of ``h``, or None where it is not searched by default (choices
    of strings stay at their base value unless a spec lists them)."""
    if h.type not in (float, int) or isinstance(h.default, bool):
        return None
    default = float(h.default)
    if log_scale(h):
        low, high = (default / 100, default * 100) if default > 0 else (1e-6, 1e-1)
    elif h.low is not None and h.high is not None:
        low, high = h.low, h.high
    else:
        low = h.low if h.low is not None else default - 10 * abs(default or 1)
        high = default * 10 if default > 0 else low + 1
    low, high = _inside(h, low), _inside(h, high)
    if h.type is int:
        low, high = math.ceil(low), math.floor(high)
        if h.name == "tau" and h.default > 1:  # counts of steps: a decade either side
            low, high = max(low, math.ceil(h.default / 10)), min(high, int(h.default) * 10)
    if not low < high:
        return None
    return Dimension(h.name, float(low), float(high), log_scale(h), h.type is int)


def _inside(h: Hyperparameter, value: float) -> float:
    """``value`` moved just inside the declared range (open ends stay open)."""
    span = (h.high - h.low) if h.low is not None and h.high is not None else 1.0
    if h.low is not None and (value < h.low or (value == h.low and not h.low_inclusive)):
        value = h.low if h.low_inclusive else h.low + 1e-3 * span
    if h.high is not None and (value > h.high or (value == h.high and not h.high_inclusive)):
        value = h.high if h.high_inclusive else h.high - 1e-2 * span
    return value


def search_space(
    optimizer: str, base: Mapping[str, Any], entries: Mapping[str, SearchEntry] | None
) -> SearchSpace:
    """The space for ``optimizer`` (a registered name) whose spec sets ``base``
    hyperparameters; ``entries`` (the spec's search for it) replaces the default space.
    Raises :class:`SearchSpaceError`."""
    declared = {h.name: h for h in hyperparameters(optimizer)}
    fixed = {k: v for k, v in base.items()}
    if entries is None:
        dims = [
            d
            for h in declared.values()
            if h.name not in base and (d := default_dimension(h)) is not None
        ]
        return SearchSpace(tuple(dims), fixed)
    dims = []
    for name, entry in entries.items():
        h = declared.get(name)
        if h is None:
            raise SearchSpaceError(
                (name,),
                f"{optimizer} has no hyperparameter {name!r}; it has: {', '.join(declared)}",
            )
        if isinstance(entry, SearchRange):
            dims.append(_range(h, entry))
        elif isinstance(entry, SearchChoices):
            values = []
            for i, value in enumerate(entry.choices):
                values.append(_valid(h, value, (name, "choices", i)))
            if len(set(map(repr, values))) != len(values):
                raise SearchSpaceError((name, "choices"), "a choice appears twice")
            dims.append(Dimension(name, choices=tuple(values)))
        else:
            fixed[name] = _valid(h, entry, (name,))
    return SearchSpace(tuple(dims), fixed)


def _valid(h: Hyperparameter, value: Any, loc: Loc) -> Any:
    try:
        return h.validate(value)
    except HyperparameterError as error:
        raise SearchSpaceError(loc, f"{h.name}: {error.reason}") from None


def _range(h: Hyperparameter, entry: SearchRange) -> Dimension:
    name = h.name
    if h.type not in (float, int):
        raise SearchSpaceError((name,), f"{name} takes one of {h.range_text()}; give choices")
    low = _valid(h, entry.low, (name, "low"))
    high = _valid(h, entry.high, (name, "high"))
    if not low < high:
        raise SearchSpaceError(
            (name,), f"low must be below high (low = {entry.low:g}, high = {entry.high:g})"
        )
    log = log_scale(h) if entry.log is None else entry.log
    if log and low <= 0:
        raise SearchSpaceError(
            (name, "low"),
            f"a log scale needs low > 0 (low = {entry.low:g}); the range would go through zero",
        )
    return Dimension(name, float(low), float(high), log, h.type is int)


def configuration(space: SearchSpace, sampled: Mapping[str, Any]) -> dict[str, Any]:
    """A trial's hyperparameters: the fixed values and the sampled ones."""
    return {**space.fixed, **sampled}
