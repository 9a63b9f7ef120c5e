"""Optimizers by name: ``build("nim_bh", model.parameters(), seed=1, rho=0.3)``.

Any registered name works: the paper's (optbench classes), the ``torch.optim`` baselines
and plugins (their class under :class:`~shared.optim.plain.PlainOptimizer`), and a
wrapper around a base (``build("sam(adamw)", params, rho=0.05, **{"base.lr": 1e-3})``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from shared.optim.base import StochasticOptimizer
from shared.optim.basin_hopping import (
    BasinHopping,
    MonotonicBasinHopping,
    NoiseInGradientBH,
    NoiseInGradientMBH,
    NoiseInModelBH,
    NoiseInModelMBH,
)
from shared.optim.declarations import (
    BASE_PREFIX,
    OptimizerDeclaration,
    UnknownOptimizerError,
    declaration,
    resolve_hyperparameters,
)
from shared.optim.inference import constructor_arguments
from shared.optim.noise_injection import (
    NoiseInGradient,
    NoiseInGradientSGD,
    NoiseInModel,
    NoiseInModelSGD,
)
from shared.optim.plain import PlainOptimizer
from shared.optim.sam import SAM, SharpnessAware
from shared.optim.sgd import SGD
from shared.optim.wrapping import Wrapper
from shared.registry import load_object

#: The paper's optimizers, each an optbench class.
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

#: The wrappers around any base.
WRAPPER_CLASSES: Mapping[str, type[Wrapper]] = {
    "sam": SharpnessAware,
    "nig": NoiseInGradient,
    "nim": NoiseInModel,
    "bh": BasinHopping,
    "mbh": MonotonicBasinHopping,
}


class MissingPluginError(RuntimeError):
    """This process cannot import an optimizer the catalog declares (a worker without
    the plugin's package)."""


def optimizer_class(name: str) -> type[StochasticOptimizer]:
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise UnknownOptimizerError(name) from None


def torch_class(declared: OptimizerDeclaration) -> type[Optimizer]:
    """The class a ``torch``-implemented declaration names, or a one-line error."""
    assert declared.target is not None
    try:
        return load_object(declared.target)
    except (ImportError, AttributeError) as error:
        package = declared.origin.package or declared.target.split(":")[0].split(".")[0]
        raise MissingPluginError(
            f"optimizer {declared.name!r} needs {declared.target} from the package "
            f"{package!r}, which this worker cannot import ({type(error).__name__}: "
            f"{error}); install it on every worker"
        ) from None


def _base_factory(
    base: OptimizerDeclaration, values: dict[str, Any], seed: int, model: nn.Module | None
) -> Any:
    if base.implementation == "native":
        return lambda groups: optimizer_class(base.name)(groups, seed=seed, model=model, **values)
    cls = torch_class(base)
    arguments = constructor_arguments(values, base.tuples)
    return lambda groups: cls(groups, **arguments)


def build(
    name: str,
    params: Any,
    *,
    seed: int = 0,
    model: nn.Module | None = None,
    **overrides: Any,
) -> StochasticOptimizer:
    """Construct optimizer ``name`` over ``params`` with validated hyperparameters."""
    declared = declaration(name)
    values = resolve_hyperparameters(name, overrides)
    return build_declared(declared, params, seed=seed, model=model, values=values)


def build_declared(
    declared: OptimizerDeclaration,
    params: Any,
    *,
    seed: int = 0,
    model: nn.Module | None = None,
    values: dict[str, Any] | None = None,
) -> StochasticOptimizer:
    """Construct ``declared`` over ``params``; ``values`` complete and validated
    (default: the declared defaults)."""
    if values is None:
        values = {h.name: h.default for h in declared.hyperparameters}
    if declared.implementation == "native":
        return optimizer_class(declared.name)(params, seed=seed, model=model, **values)
    if declared.implementation == "torch":
        optimizer = PlainOptimizer(
            params,
            base=_base_factory(declared, values, seed, model),
            base_needs_closure=declared.needs_closure,
            seed=seed,
            model=model,
        )
    else:
        assert declared.wrapper is not None and declared.base is not None
        own = {k: v for k, v in values.items() if not k.startswith(BASE_PREFIX)}
        base_values = {
            k.removeprefix(BASE_PREFIX): v for k, v in values.items() if k.startswith(BASE_PREFIX)
        }
        optimizer = WRAPPER_CLASSES[declared.wrapper](
            params,
            base=_base_factory(declaration(declared.base), base_values, seed, model),
            seed=seed,
            model=model,
            **own,
        )
    optimizer.name = declared.name
    return optimizer


_warm = False


def warm_up() -> None:
    """One step of a torch optimizer on a scalar, once per process: torch imports parts
    of itself lazily on the first step, and an import interrupted by a time limit
    (:mod:`shared.deadline`) would leave the process's modules half loaded."""
    global _warm
    if _warm:
        return
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.1)
    (weight**2).sum().backward()
    optimizer.step()
    _warm = True
