"""Stochastic optimizers as ``torch.optim.Optimizer`` implementations: SGD with noise in
the gradient or in the model, SAM, and (monotonic) basin hopping, each also as a wrapper
around any base optimizer (``sam(adamw)``); the ``torch.optim`` baselines; and the public
plugin API (:class:`OptimizerPlugin`, :class:`Hyperparameter`) for labs' own optimizers.

Importing this package does not load PyTorch: the declarations (names, hyperparameters,
catalog) are plain Python, and the optimizer classes load on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

from shared.optim.declarations import (
    OPTIMIZER_NAMES,
    PAPER_DECLARATIONS,
    UnknownOptimizerError,
    catalog,
    declaration,
    hyperparameters,
    optimizer_names,
    resolve_hyperparameters,
)
from shared.optim.hyperparameters import Hyperparameter, HyperparameterError
from shared.optim.plugin_api import OptimizerPlugin

_LAZY = {
    "OPTIMIZERS": "shared.optim.registry",
    "build": "shared.optim.registry",
    "ClosureRequiredError": "shared.optim.base",
    "StochasticOptimizer": "shared.optim.base",
    "minibatch_closure": "shared.optim.closures",
    "PlainOptimizer": "shared.optim.plain",
    "Wrapper": "shared.optim.wrapping",
    "SGD": "shared.optim.sgd",
    "NoiseInGradientSGD": "shared.optim.noise_injection",
    "NoiseInModelSGD": "shared.optim.noise_injection",
    "NoiseInGradient": "shared.optim.noise_injection",
    "NoiseInModel": "shared.optim.noise_injection",
    "SharpnessAware": "shared.optim.sam",
    "MonotonicBasinHopping": "shared.optim.basin_hopping",
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
    "OPTIMIZER_NAMES",
    "PAPER_DECLARATIONS",
    "Hyperparameter",
    "HyperparameterError",
    "OptimizerPlugin",
    "UnknownOptimizerError",
    "catalog",
    "declaration",
    "hyperparameters",
    "optimizer_names",
    "resolve_hyperparameters",
    *_LAZY,
]
