"""Stochastic optimizers as ``torch.optim.Optimizer`` implementations (SPEC §2)."""

from shared.optim.base import ClosureRequiredError, StochasticOptimizer
from shared.optim.basin_hopping import (
    BasinHopping,
    NoiseInGradientBH,
    NoiseInGradientMBH,
    NoiseInModelBH,
    NoiseInModelMBH,
)
from shared.optim.closures import minibatch_closure
from shared.optim.hyperparameters import Hyperparameter, HyperparameterError
from shared.optim.registry import (
    OPTIMIZERS,
    UnknownOptimizerError,
    build,
    catalog,
    hyperparameters,
    resolve_hyperparameters,
)
from shared.optim.sam import SAM
from shared.optim.sgd import SGD, NoiseInGradientSGD, NoiseInModelSGD

__all__ = [
    "OPTIMIZERS",
    "SAM",
    "SGD",
    "BasinHopping",
    "ClosureRequiredError",
    "Hyperparameter",
    "HyperparameterError",
    "NoiseInGradientBH",
    "NoiseInGradientMBH",
    "NoiseInGradientSGD",
    "NoiseInModelBH",
    "NoiseInModelMBH",
    "NoiseInModelSGD",
    "StochasticOptimizer",
    "UnknownOptimizerError",
    "build",
    "catalog",
    "hyperparameters",
    "minibatch_closure",
    "resolve_hyperparameters",
]
