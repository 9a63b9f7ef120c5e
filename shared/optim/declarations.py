"""What each optimizer is called, what it needs and which hyperparameters it takes.

Pure Python, no PyTorch: the API validates specs and serves the catalog from this
module without loading torch; the ``torch.optim`` classes take their declarations
from here, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.optim import hyperparameters as hp
from shared.optim.hyperparameters import Hyperparameter, HyperparameterError, validate_all

#: SAM's e = ρ·g/(‖g‖ + NORM_GUARD): guards a zero gradient, as the reference code does.
NORM_GUARD = 1e-12


@dataclass(frozen=True)
class OptimizerDeclaration:
    name: str
    description: str
    hyperparameters: tuple[Hyperparameter, ...]
    #: ``step()`` evaluates gradients itself and needs a closure.
    needs_closure: bool = False
    #: ``step()`` also calls ``closure(backward=False)`` (loss-only evaluations).
    needs_loss_closure: bool = False
    #: Gradient evaluations per step, when fixed.
    gradient_evaluations_per_step: int | None = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "needs_closure": self.needs_closure,
            "gradient_evaluations_per_step": self.gradient_evaluations_per_step,
            "hyperparameters": [h.as_schema() for h in self.hyperparameters],
        }


def _basin_hopping(rho: Hyperparameter) -> tuple[Hyperparameter, ...]:
    return (
        hp.LR,
        rho,
        hp.tau(100, "LocalSearch: at most tau gradient steps per search"),
        hp.eps(1e-3, "LocalSearch: stop early when ‖∇f(w)‖ < eps"),
        hp.NOISE,
        hp.WEIGHT_DECAY,
    )


_NIG_HOP = hp.rho(50.0, "PerturbGradient noise radius ρ, in gradient units (hop ≤ η·ρ)")
_NIM_HOP = hp.rho(0.5, "PerturbModel radius ρ, in parameter units")

DECLARATIONS: Mapping[str, OptimizerDeclaration] = {
    d.name: d
    for d in (
        OptimizerDeclaration(
            "sgd",
            "Plain (minibatch) gradient descent, optionally with heavy-ball momentum.",
            (hp.LR, hp.MOMENTUM, hp.WEIGHT_DECAY),
        ),
        OptimizerDeclaration(
            "nig_sgd",
            "Noise in gradient: w ← w − η·(g + ζ), a fresh noise vector every step.",
            (
                hp.LR,
                hp.rho(2.0, "noise radius ρ, in gradient units (the step adds up to η·ρ)"),
                hp.NOISE,
                hp.WEIGHT_DECAY,
            ),
        ),
        OptimizerDeclaration(
            "nim_sgd",
            "Noise in model (perturbed GD): jump by ζ when ‖g‖ < ε, then step.",
            (
                hp.LR,
                hp.rho(0.5, "perturbation radius ρ, in parameter units"),
                hp.eps(1e-3, "perturb only when ‖g‖ < eps"),
                hp.tau(100, "no perturbation before step tau, then at least tau steps apart"),
                hp.TAU_MODE,
                hp.NOISE,
                hp.WEIGHT_DECAY,
            ),
            needs_closure=True,
            gradient_evaluations_per_step=None,
        ),
        OptimizerDeclaration(
            "sam",
            "Sharpness-aware minimisation: descend with the gradient at w + ρ·g/‖g‖.",
            (
                hp.LR,
                hp.rho(0.05, "ascent radius ρ, in parameter units"),
                hp.MOMENTUM,
                hp.WEIGHT_DECAY,
            ),
            needs_closure=True,
            gradient_evaluations_per_step=2,
        ),
        OptimizerDeclaration(
            "nig_bh",
            "Basin hopping, PerturbGradient (one noisy gradient step), every hop accepted.",
            _basin_hopping(_NIG_HOP),
            needs_closure=True,
        ),
        OptimizerDeclaration(
            "nim_bh",
            "Basin hopping, PerturbModel (w + ζ), every hop accepted.",
            _basin_hopping(_NIM_HOP),
            needs_closure=True,
        ),
        OptimizerDeclaration(
            "nig_mbh",
            "Monotonic basin hopping, PerturbGradient: keep a hop only if f decreases.",
            _basin_hopping(_NIG_HOP),
            needs_closure=True,
            needs_loss_closure=True,
        ),
        OptimizerDeclaration(
            "nim_mbh",
            "Monotonic basin hopping, PerturbModel: keep a hop only if f decreases.",
            _basin_hopping(_NIM_HOP),
            needs_closure=True,
            needs_loss_closure=True,
        ),
    )
}

OPTIMIZER_NAMES: tuple[str, ...] = tuple(DECLARATIONS)


class UnknownOptimizerError(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown optimizer {self.name!r}; valid ones: {', '.join(DECLARATIONS)}"


def declaration(name: str) -> OptimizerDeclaration:
    try:
        return DECLARATIONS[name]
    except (KeyError, TypeError):
        raise UnknownOptimizerError(name) from None


def hyperparameters(name: str) -> tuple[Hyperparameter, ...]:
    """The declared hyperparameters of optimizer ``name``."""
    return declaration(name).hyperparameters


def resolve_hyperparameters(name: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``overrides``, validated; errors name optimizer and field."""
    try:
        return validate_all(hyperparameters(name), dict(overrides))
    except HyperparameterError as error:
        raise HyperparameterError(f"{name}.{error.name}", error.reason) from None


def catalog() -> list[dict[str, Any]]:
    """Every optimizer with its hyperparameter schema, for listings and the API."""
    return [d.as_dict() for d in DECLARATIONS.values()]
