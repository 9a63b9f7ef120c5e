"""The public API for a lab's own optimizer, when a plain class is not enough.

A package can point its ``optbench.optimizers`` entry point straight at a
``torch.optim.Optimizer`` subclass: its hyperparameters are inferred from ``__init__``
(:mod:`shared.optim.inference`). An :class:`OptimizerPlugin` says more: ranges, log
scales and descriptions, how many gradient evaluations a step costs, whether ``step``
needs a closure, and how restarts may share it on the synthetic landscapes::

    from shared.optim import Hyperparameter, OptimizerPlugin

    lion = OptimizerPlugin(
        optimizer="my_lab.lion:Lion",  # or the class itself
        description="Lion (Chen et al. 2023): the sign of an interpolated momentum.",
        hyperparameters=(
            Hyperparameter("lr", float, 1e-4, "step size", low=0.0, low_inclusive=False,
                           log=True),
            Hyperparameter("beta1", float, 0.9, "interpolation", low=0.0, high=1.0),
            Hyperparameter("beta2", float, 0.99, "momentum decay", low=0.0, high=1.0),
            Hyperparameter("weight_decay", float, 0.0, "decoupled decay", low=0.0),
        ),
        tuples=(("betas", ("beta1", "beta2")),),
        coupling="elementwise",
    )

Pure Python: a module that declares a plugin need not import torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.optim.hyperparameters import Hyperparameter


@dataclass(frozen=True)
class OptimizerPlugin:
    """A declared optimizer: the class (or ``"module:Class"``) and what to know of it.

    Fields left ``None`` are found out: ``hyperparameters`` and ``tuples`` from the
    class's signature, ``needs_closure`` from ``step``'s, ``coupling`` by probing.
    """

    optimizer: Any
    description: str = ""
    hyperparameters: tuple[Hyperparameter, ...] | None = None
    tuples: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    needs_closure: bool | None = None
    needs_loss_closure: bool = False
    gradient_evaluations_per_step: int | None = 1
    coupling: str | None = None
