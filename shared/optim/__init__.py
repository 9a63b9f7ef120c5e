"""Stochastic optimizers as ``torch.optim.Optimizer`` implementations: SGD with noise in
the gradient or in the model, SAM, and (monotonic) basin hopping.

Importing this package does not load PyTorch: the declarations (names, hyperparameters,
catalog) are plain Python, and the optimizer classes load on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

from shared.optim.declarations import (
    DECLARATIONS,
    OPTIMIZER_NAMES,
    UnknownOptimizerError,
    catalog,
    declaration,
    hyperparameters,
    resolve_hyperparameters,
)
from shared.optim.hyperparameters import Hyperparameter, HyperparameterError

_LAZY = {
    "OPTIMIZERS": "shared.optim.registry",
    "build": "shared.optim.registry",
    "ClosureRequiredError": "shared.optim.base",
    "StochasticOptimizer": "shared.optim.base",
    "minibatch_closure": "shared.optim.closures",
    "SGD": "shared.optim.sgd",
    "NoiseInGradientSGD": "shared.optim.sgd",
    "NoiseInModelSGD": "shared.optim.sgd",
    "SAM": "shared.optim.sam",
    "BasinHopping": "shared.optim.basin_hopping",
    "NoiseInGradientBH": "shared.optim.basin_hopping",
    "NoiseInModelBH": "shared.optim.basin_hopping",
    "NoiseInGradientMBH": "shared.optim.basin_hopping",
    "NoiseInModelMBH": "shared.optim.basin_hopping",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'shared.optim' has no attribute {name!r}")


__all__ = [
    "DECLARATIONS",
    "OPTIMIZER_NAMES",
    "Hyperparameter",
    "HyperparameterError",
    "UnknownOptimizerError",
    "catalog",
    "declaration",
    "hyperparameters",
    "resolve_hyperparameters",
    *_LAZY,
]
