"""Optimizers by name: ``build("nim_bh", model.parameters(), seed=1, rho=0.3)``."""

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
from shared.optim.declarations import UnknownOptimizerError, resolve_hyperparameters
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


def optimizer_class(name: str) -> type[StochasticOptimizer]:
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise UnknownOptimizerError(name) from None


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
