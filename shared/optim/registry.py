"""Optimizers by name, with their declared hyperparameters.

``build("nim_bh", model.parameters(), seed=1, rho=0.3)`` is the one way the platform
constructs an optimizer; ``OPTIMIZERS`` is the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from shared.optim.base import StochasticOptimizer
from shared.optim.basin_hopping import (
    NoiseInGradientBH,
    NoiseInGradientMBH,
    NoiseInModelBH,
    NoiseInModelMBH,
)
from shared.optim.hyperparameters import Hyperparameter, HyperparameterError, validate_all
from shared.optim.sam import SAM
from shared.optim.sgd import SGD, NoiseInGradientSGD, NoiseInModelSGD

OPTIMIZERS: Mapping[str, type[StochasticOptimizer]] = {
    cls.name: cls
    for cls in (
        SGD,
        NoiseInGradientSGD,
        NoiseInModelSGD,
        SAM,
        NoiseInGradientBH,
        NoiseInModelBH,
        NoiseInGradientMBH,
        NoiseInModelMBH,
    )
}


class UnknownOptimizerError(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown optimizer {self.name!r}; valid ones: {', '.join(OPTIMIZERS)}"


def optimizer_class(name: str) -> type[StochasticOptimizer]:
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise UnknownOptimizerError(name) from None


def hyperparameters(name: str) -> tuple[Hyperparameter, ...]:
    """The declared hyperparameters of optimizer ``name``."""
    return optimizer_class(name).hyperparameters


def resolve_hyperparameters(name: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``overrides``, validated; errors name optimizer and field."""
    try:
        return validate_all(hyperparameters(name), dict(overrides))
    except HyperparameterError as error:
        raise HyperparameterError(f"{name}.{error.name}", error.reason) from None


def build(
    name: str,
    params: Any,
    *,
    seed: int = 0,
    model: nn.Module | None = None,
    **overrides: Any,
) -> StochasticOptimizer:
    """Construct optimizer ``name`` over ``params`` with validated hyperparameters."""
    values = resolve_hyperparameters(name, overrides)
    return optimizer_class(name)(params, seed=seed, model=model, **values)


def catalog() -> list[dict[str, Any]]:
    """Every optimizer with its hyperparameter schema, for listings and the API."""
    return [
        {
            "name": name,
            "description": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
            "needs_closure": cls.needs_closure,
            "hyperparameters": [h.as_schema() for h in cls.hyperparameters],
        }
        for name, cls in OPTIMIZERS.items()
    ]
