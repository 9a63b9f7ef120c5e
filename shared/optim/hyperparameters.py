"""Declared hyperparameters: name, type, default, allowed range, description.

Every optimizer declares its hyperparameters once; the same declaration validates
constructor arguments, CLI overrides and (later) experiment specs, and is what the
optimizer catalog shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any


class HyperparameterError(ValueError):
    """A hyperparameter value is missing, of the wrong type or out of range."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter. ``low``/``high`` bound numeric values; ``choices`` strings;
    ``log`` says the value is searched on a log scale (learning rates, decay
    coefficients), which tuning uses for its default search space."""

    name: str
    type: type
    default: Any
    description: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    choices: tuple[str, ...] | None = None
    log: bool = False

    def renamed(self, name: str) -> Hyperparameter:
        """The same declaration under another name (a wrapped base's ``base.lr``)."""
        return replace(self, name=name)

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this hyperparameter's type, or raise."""
        if self.type is bool:
            if not isinstance(value, bool):
                raise HyperparameterError(self.name, f"{value!r} is not a bool (true or false)")
            return value
        if self.type is str:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise HyperparameterError(
                    self.name, f"{value!r} is not one of {', '.join(self.choices or ())}"
                )
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise HyperparameterError(self.name, f"{value!r} is not a {self.type.__name__}")
        try:
            number = float(value)
        except ValueError:
            raise HyperparameterError(
                self.name, f"{value!r} is not a {self.type.__name__}"
            ) from None
        if not math.isfinite(number):
            raise HyperparameterError(self.name, f"{value!r} is not finite")
        if self.type is int:
            if number != int(number):
                raise HyperparameterError(self.name, f"{value!r} is not an integer")
            number = int(number)
        if self.low is not None and (
            number < self.low or (number == self.low and not self.low_inclusive)
        ):
            raise HyperparameterError(self.name, f"{number:g} is outside {self.range_text()}")
        if self.high is not None and (
            number > self.high or (number == self.high and not self.high_inclusive)
        ):
            raise HyperparameterError(self.name, f"{number:g} is outside {self.range_text()}")
        return number

    def range_text(self) -> str:
        """The allowed range in interval notation, e.g. ``(0, inf)``."""
        if self.choices:
            return "{" + ", ".join(self.choices) + "}"
        if self.type is bool:
            return "{true, false}"
        left = "[" if self.low_inclusive and self.low is not None else "("
        right = "]" if self.high_inclusive and self.high is not None else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{left}{low}, {high}{right}"

    def as_schema(self) -> dict[str, Any]:
        """A JSON-friendly description for catalogs."""
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "range": self.range_text(),
            "low": self.low,
            "high": self.high,
            "choices": list(self.choices) if self.choices else None,
            "log": self.log,
            "description": self.description,
        }


def validate_all(declared: tuple[Hyperparameter, ...], values: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``values``, each validated; unknown names are an error."""
    by_name = {h.name: h for h in declared}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise HyperparameterError(
            unknown[0], f"unknown hyperparameter; valid ones: {', '.join(by_name)}"
        )
    return {h.name: h.validate(values[h.name]) if h.name in values else h.default for h in declared}


# Shared declarations, so every optimizer documents a given name the same way.
LR = Hyperparameter("lr", float, 0.01, "step size η", low=0.0, low_inclusive=False, log=True)
WEIGHT_DECAY = Hyperparameter(
    "weight_decay",
    float,
    0.0,
    "L2 coefficient; adds weight_decay·w to the update",
    low=0.0,
    log=True,
)
MOMENTUM = Hyperparameter(
    "momentum",
    float,
    0.0,
    "heavy-ball momentum (PyTorch convention, no dampening)",
    low=0.0,
    high=1.0,
    high_inclusive=False,
)
NOISE = Hyperparameter(
    "noise",
    str,
    "ball",
    "noise distribution: 'ball' = uniform in the ball of radius rho over the parameter "
    "vector; 'gaussian' = rho is the per-coordinate standard deviation",
    choices=("ball", "gaussian"),
)

TAU_MODE = Hyperparameter(
    "tau_mode",
    str,
    "start",
    "'start' = tau counts from the start of training (no perturbation before step tau); "
    "'rate_limited' = tau only spaces perturbations, the first may come at once",
    choices=("start", "rate_limited"),
)


def rho(default: float, meaning: str) -> Hyperparameter:
    return Hyperparameter("rho", float, default, meaning, low=0.0)


def eps(default: float, meaning: str) -> Hyperparameter:
    return Hyperparameter("eps", float, default, meaning, low=0.0)


def tau(default: int, meaning: str) -> Hyperparameter:
    return Hyperparameter("tau", int, default, meaning, low=1)


def lr(default: float) -> Hyperparameter:
    return replace(LR, default=default)


def weight_decay(default: float, meaning: str = WEIGHT_DECAY.description) -> Hyperparameter:
    return replace(WEIGHT_DECAY, default=default, description=meaning)


def beta(index: int, default: float, meaning: str) -> Hyperparameter:
    return Hyperparameter(
        f"beta{index}", float, default, meaning, low=0.0, high=1.0, high_inclusive=False
    )


def flag(name: str, meaning: str, default: bool = False) -> Hyperparameter:
    return Hyperparameter(name, bool, default, meaning)


def positive(name: str, default: float, meaning: str, *, log: bool = True) -> Hyperparameter:
    return Hyperparameter(name, float, default, meaning, low=0.0, low_inclusive=False, log=log)


def non_negative(name: str, default: float, meaning: str, *, log: bool = False) -> Hyperparameter:
    return Hyperparameter(name, float, default, meaning, low=0.0, log=log)


def unit_interval(name: str, default: float, meaning: str) -> Hyperparameter:
    """A coefficient in [0, 1) (a decay rate, a momentum)."""
    return Hyperparameter(name, float, default, meaning, low=0.0, high=1.0, high_inclusive=False)


TYPES: dict[str, type] = {"float": float, "int": int, "bool": bool, "str": str}


def to_json(h: Hyperparameter) -> dict[str, Any]:
    """Every field of a declaration, JSON-able (for plugins described out of process)."""
    return {
        "name": h.name,
        "type": h.type.__name__,
        "default": h.default,
        "description": h.description,
        "low": h.low,
        "high": h.high,
        "low_inclusive": h.low_inclusive,
        "high_inclusive": h.high_inclusive,
        "choices": list(h.choices) if h.choices else None,
        "log": h.log,
    }


def from_json(data: dict[str, Any]) -> Hyperparameter:
    """The inverse of :func:`to_json`; a malformed entry raises ValueError."""
    try:
        kind = TYPES[data["type"]]
        h = Hyperparameter(
            name=str(data["name"]),
            type=kind,
            default=data["default"],
            description=str(data.get("description") or ""),
            low=data.get("low"),
            high=data.get("high"),
            low_inclusive=bool(data.get("low_inclusive", True)),
            high_inclusive=bool(data.get("high_inclusive", True)),
            choices=tuple(data["choices"]) if data.get("choices") else None,
            log=bool(data.get("log", False)),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"malformed hyperparameter declaration: {error}") from None
    if h.type is not str:
        h.validate(h.default)  # a default outside its own range is a broken declaration
    return h
