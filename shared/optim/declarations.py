"""What each optimizer is called, what it needs and which hyperparameters it takes.

Pure Python, no PyTorch: the API validates specs and serves the catalog from this
module without loading torch; the ``torch.optim`` classes take their declarations
from here, so the two can never disagree.

Optimizers come from three places (:mod:`shared.registry`): built in (the paper's
family, :data:`PAPER_DECLARATIONS`, and the ``torch.optim`` baselines of
:mod:`shared.optim.baselines`), installed packages (entry-point group
``optbench.optimizers``) and the server setting ``OPTBENCH_OPTIMIZERS``; plugins join at
:func:`discover`. The paper's perturbations wrap any plain optimizer:
``sam(adamw)`` is SAM whose descent step is AdamW's (:mod:`shared.optim.wrapping`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.optim import hyperparameters as hp
from shared.optim.baselines import BASELINES
from shared.optim.hyperparameters import Hyperparameter, HyperparameterError, validate_all
from shared.registry import BUILTIN, Origin, Registry

#: SAM's e = ρ·g/(‖g‖ + NORM_GUARD): guards a zero gradient, as the reference code does.
NORM_GUARD = 1e-12

Implementation = Literal["native", "torch", "wrapper"]
#: How restarts share an optimizer on the synthetic landscapes' PyTorch path; a built-in
#: with a NumPy kernel runs there instead (``kernel``).
Coupling = Literal["kernel", "elementwise", "per_tensor", "global"]


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
    #: ``native``: an optbench class; ``torch``: a ``torch.optim``-style class at
    #: ``target``; ``wrapper``: a perturbation around the optimizer ``base``.
    implementation: Implementation = "native"
    target: str | None = None
    #: Tuple constructor arguments and the hyperparameters of their elements.
    tuples: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Landscape coupling; None: cannot run on the landscapes (reason in ``notes``).
    coupling: Coupling | None = "kernel"
    origin: Origin = BUILTIN
    wrapper: str | None = None
    base: str | None = None
    #: Facts a user should see in the catalog (e.g. arguments left at their defaults).
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "needs_closure": self.needs_closure,
            "gradient_evaluations_per_step": self.gradient_evaluations_per_step,
            "hyperparameters": [h.as_schema() for h in self.hyperparameters],
            "origin": self.origin.as_dict(),
            "available": True,
            "reason": None,
            "coupling": self.coupling,
            "wrapper": None,
            "notes": list(self.notes),
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
_NIG_RHO = hp.rho(2.0, "noise radius ρ, in gradient units (the step adds up to η·ρ)")
_NIM_RHO = hp.rho(0.5, "perturbation radius ρ, in parameter units")
_NIM_EPS = hp.eps(1e-3, "perturb only when ‖g‖ < eps")
_NIM_TAU = hp.tau(100, "no perturbation before step tau, then at least tau steps apart")
_SAM_RHO = hp.rho(0.05, "ascent radius ρ, in parameter units")

#: The paper's optimizers, each with a NumPy kernel for the landscapes.
PAPER_DECLARATIONS: Mapping[str, OptimizerDeclaration] = {
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
            (hp.LR, _NIG_RHO, hp.NOISE, hp.WEIGHT_DECAY),
        ),
        OptimizerDeclaration(
            "nim_sgd",
            "Noise in model (perturbed GD): jump by ζ when ‖g‖ < ε, then step.",
            (hp.LR, _NIM_RHO, _NIM_EPS, _NIM_TAU, hp.TAU_MODE, hp.NOISE, hp.WEIGHT_DECAY),
            needs_closure=True,
            gradient_evaluations_per_step=None,
        ),
        OptimizerDeclaration(
            "sam",
            "Sharpness-aware minimisation: descend with the gradient at w + ρ·g/‖g‖.",
            (hp.LR, _SAM_RHO, hp.MOMENTUM, hp.WEIGHT_DECAY),
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

#: The paper's eight, in the paper's order.
OPTIMIZER_NAMES: tuple[str, ...] = tuple(PAPER_DECLARATIONS)

BASELINE_DECLARATIONS: Mapping[str, OptimizerDeclaration] = {
    name: OptimizerDeclaration(
        name,
        description,
        hyperparameters,
        implementation="torch",
        target=target,
        tuples=tuples,
        coupling="elementwise",
    )
    for name, (target, description, hyperparameters, tuples) in BASELINES.items()
}


@dataclass(frozen=True)
class WrapperDeclaration:
    """A perturbation of the paper that wraps a base optimizer's descent step."""

    name: str
    description: str
    #: The wrapper's own hyperparameters; the base's are added as ``base.NAME``.
    hyperparameters: tuple[Hyperparameter, ...]
    needs_loss_closure: bool = False
    #: ``step`` evaluates gradients itself (all but noise in the gradient).
    needs_closure: bool = True
    #: Gradient evaluations per step as a multiple of the base's (None: it varies).
    gradient_multiplier: int | None = 1
    #: The paper's names for this wrapper over ``sgd`` (fixed own values, if any).
    paper_names: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


PERTURBATION = Hyperparameter(
    "perturbation",
    str,
    "model",
    "how a hop leaves the incumbent: 'model' = w + ζ (PerturbModel); 'gradient' = one "
    "noisy step of the base with gradient g + ζ (PerturbGradient)",
    choices=("model", "gradient"),
)
_HOP = (
    PERTURBATION,
    hp.rho(0.5, "hop radius ρ: parameter units for 'model', gradient units for 'gradient'"),
    hp.tau(100, "LocalSearch: at most tau steps of the base per search"),
    hp.eps(1e-3, "LocalSearch: stop early when ‖∇f(w)‖ < eps"),
    hp.NOISE,
)

WRAPPERS: Mapping[str, WrapperDeclaration] = {
    w.name: w
    for w in (
        WrapperDeclaration(
            "sam",
            "Sharpness-aware: the base steps with the gradient at w + ρ·g/‖g‖.",
            (_SAM_RHO,),
            gradient_multiplier=2,
            paper_names={"sam": {}},
        ),
        WrapperDeclaration(
            "nig",
            "Noise in gradient: the base steps with g + ζ.",
            (_NIG_RHO, hp.NOISE),
            needs_closure=False,
            paper_names={"nig_sgd": {}},
        ),
        WrapperDeclaration(
            "nim",
            "Noise in model: jump by ζ when ‖g‖ < ε (at most every τ steps), then the base steps.",
            (_NIM_RHO, _NIM_EPS, _NIM_TAU, hp.TAU_MODE, hp.NOISE),
            gradient_multiplier=None,
            paper_names={"nim_sgd": {}},
        ),
        WrapperDeclaration(
            "bh",
            "Basin hopping with the base as LocalSearch; every hop accepted.",
            _HOP,
            paper_names={"nig_bh": {"perturbation": "gradient"}, "nim_bh": {}},
        ),
        WrapperDeclaration(
            "mbh",
            "Monotonic basin hopping with the base as LocalSearch: keep a hop only if f "
            "decreases on a fresh minibatch.",
            _HOP,
            needs_loss_closure=True,
            paper_names={"nig_mbh": {"perturbation": "gradient"}, "nim_mbh": {}},
        ),
    )
}
#: The base a wrapper named without one wraps.
DEFAULT_BASE = "sgd"
BASE_PREFIX = "base."
_COMPOSITE = re.compile(r"^([a-z_]+)\(([A-Za-z0-9_.-]+)\)$")


class UnknownOptimizerError(KeyError):
    def __init__(self, name: str, reason: str | None = None) -> None:
        super().__init__(name)
        self.name = name
        self.reason = reason

    def __str__(self) -> str:
        if self.reason:
            return self.reason
        return f"unknown optimizer {self.name!r}; valid ones: {', '.join(optimizer_names())}"


def builtin_registry() -> Registry[OptimizerDeclaration]:
    registry: Registry[OptimizerDeclaration] = Registry(
        "optimizer", "optbench.optimizers", "OPTBENCH_OPTIMIZERS"
    )
    for d in (*PAPER_DECLARATIONS.values(), *BASELINE_DECLARATIONS.values()):
        registry.add_builtin(d.name, d)
    return registry


#: Every registered optimizer. Built-ins at import; plugins join at :func:`discover`.
REGISTRY: Registry[OptimizerDeclaration] = builtin_registry()
_composites: dict[str, OptimizerDeclaration] = {}


def set_registry(registry: Registry[OptimizerDeclaration]) -> None:
    """Replace the registry (discovery, and tests that install plugins)."""
    global REGISTRY
    REGISTRY = registry
    _composites.clear()


def is_registered(name: str) -> bool:
    """Whether ``name`` is a registered optimizer (not a wrapper's bare name)."""
    return name in REGISTRY


def optimizer_names() -> list[str]:
    """Every name a spec may give: registered optimizers, then the wrappers."""
    return [*REGISTRY.names(), *(w for w in WRAPPERS if w not in REGISTRY)]


def landscape_optimizer_names() -> list[str]:
    """The optimizers a default landscape spec runs: every registered one that can run
    there (a wrapper appears through its paper names, which are registered)."""
    return [n for n, d in REGISTRY.entries.items() if d.coupling is not None]


def split_composite(name: str) -> tuple[str, str] | None:
    """``"sam(adamw)"`` → ``("sam", "adamw")``; None for a plain name."""
    match = _COMPOSITE.match(name) if isinstance(name, str) else None
    return (match.group(1), match.group(2)) if match else None


def composite_name(wrapper: str, base: str) -> str:
    return f"{wrapper}({base})"


def _base_declaration(wrapper: str, base: str) -> OptimizerDeclaration:
    found = REGISTRY.get(base)
    if found is None:
        if base in REGISTRY.unavailable:
            raise UnknownOptimizerError(
                base, f"base: {base!r} is unavailable: {REGISTRY.unavailable[base].reason}"
            )
        raise UnknownOptimizerError(
            base, f"base: unknown optimizer {base!r}; valid bases: {', '.join(base_names())}"
        )
    if found.implementation == "wrapper" or found.name in PAPER_NAMES_OF_WRAPPERS:
        raise UnknownOptimizerError(
            base,
            f"base: {base!r} is itself a perturbation; a base must be a plain optimizer "
            f"({', '.join(base_names())}): wrappers do not nest",
        )
    if found.needs_closure:
        raise UnknownOptimizerError(
            base, f"base: {base!r} evaluates gradients inside its step, so it cannot be wrapped"
        )
    return found


def base_names() -> list[str]:
    """Optimizers a wrapper can take as its base."""
    return [
        n
        for n, d in REGISTRY.entries.items()
        if d.implementation != "wrapper"
        and n not in PAPER_NAMES_OF_WRAPPERS
        and not d.needs_closure
    ]


PAPER_NAMES_OF_WRAPPERS = frozenset(n for w in WRAPPERS.values() for n in w.paper_names)


def composite(wrapper: str, base: str) -> OptimizerDeclaration:
    """The declaration of ``wrapper`` around ``base``: the wrapper's hyperparameters and
    the base's as ``base.NAME``."""
    name = composite_name(wrapper, base)
    if name in _composites:
        return _composites[name]
    w = WRAPPERS.get(wrapper)
    if w is None:
        raise UnknownOptimizerError(
            name, f"{wrapper!r} takes no base; the wrappers are {', '.join(WRAPPERS)}"
        )
    b = _base_declaration(wrapper, base)
    per_step = (
        b.gradient_evaluations_per_step * w.gradient_multiplier
        if b.gradient_evaluations_per_step is not None and w.gradient_multiplier is not None
        else None
    )
    declared = OptimizerDeclaration(
        name,
        f"{w.description} Base: {base}.",
        (*w.hyperparameters, *(h.renamed(BASE_PREFIX + h.name) for h in b.hyperparameters)),
        needs_closure=w.needs_closure,
        needs_loss_closure=w.needs_loss_closure,
        gradient_evaluations_per_step=per_step,
        implementation="wrapper",
        target=b.target,
        tuples=b.tuples,
        # ζ and SAM's ascent are drawn over all of a model's parameters: one instance
        # per restart.
        coupling="global",
        origin=b.origin,
        wrapper=wrapper,
        base=base,
    )
    _composites[name] = declared
    return declared


def declaration(name: str) -> OptimizerDeclaration:
    """The declaration of a registered optimizer, of a wrapper (``nig`` wraps ``sgd``) or
    of a wrapper around a base (``sam(adamw)``)."""
    if not isinstance(name, str):
        raise UnknownOptimizerError(str(name))
    parts = split_composite(name)
    if parts is not None:
        return composite(*parts)
    found = REGISTRY.get(name)
    if found is not None:
        return found
    if name in WRAPPERS:
        return composite(name, DEFAULT_BASE)
    if name in REGISTRY.unavailable:
        u = REGISTRY.unavailable[name]
        raise UnknownOptimizerError(name, f"optimizer {name!r} is unavailable: {u.reason}")
    raise UnknownOptimizerError(name)


def hyperparameters(name: str) -> tuple[Hyperparameter, ...]:
    """The declared hyperparameters of optimizer ``name``."""
    return declaration(name).hyperparameters


def resolve_hyperparameters(name: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``overrides``, validated; errors name optimizer and field."""
    declared = declaration(name)
    stray = sorted(k for k in overrides if k.startswith(BASE_PREFIX))
    if stray and declared.base is None:
        raise HyperparameterError(
            f"{name}.{stray[0]}",
            "base. hyperparameters need a base: give the entry a base "
            '(e.g. {"name": "sam", "base": "adamw"})',
        )
    try:
        return validate_all(declared.hyperparameters, dict(overrides))
    except HyperparameterError as error:
        raise HyperparameterError(f"{name}.{error.name}", error.reason) from None


def wrapper_info(w: WrapperDeclaration) -> dict[str, Any]:
    """What the catalog says of a wrapper: its own hyperparameters and the bases it takes."""
    return {
        "hyperparameters": [h.as_schema() for h in w.hyperparameters],
        "default_base": DEFAULT_BASE,
        "bases": base_names(),
        "paper_names": {k: dict(v) for k, v in w.paper_names.items()},
    }


def catalog() -> list[dict[str, Any]]:
    """Every optimizer with its hyperparameter schema and origin, for listings and the
    API: registered ones, the wrappers, and plugins that are unavailable (with why)."""
    entries = [d.as_dict() for d in REGISTRY.entries.values()]
    by_name = {e["name"]: e for e in entries}
    for w in WRAPPERS.values():
        if w.name in by_name:  # sam: the paper's SAM is the wrapper over sgd
            by_name[w.name]["wrapper"] = wrapper_info(w)
            continue
        entry = composite(w.name, DEFAULT_BASE).as_dict()
        entry |= {"name": w.name, "description": w.description, "wrapper": wrapper_info(w)}
        entries.append(entry)
    for u in REGISTRY.unavailable.values():
        entries.append(
            {
                "name": u.name,
                "description": "",
                "needs_closure": False,
                "gradient_evaluations_per_step": None,
                "hyperparameters": [],
                "origin": u.origin.as_dict(),
                "available": False,
                "reason": u.reason,
                "coupling": None,
                "wrapper": None,
                "notes": [],
            }
        )
    return entries
