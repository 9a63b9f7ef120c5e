"""Optimizer plugins: what installed packages and the server's configuration contribute.

``[project.entry-points."optbench.optimizers"] lion = "my_lab.lion:Lion"`` in a package's
``pyproject.toml`` (or ``OPTBENCH_OPTIMIZERS="lion=my_lab.lion:Lion"`` on the server)
makes ``lion`` an optimizer every spec can name. The object is a plain
``torch.optim.Optimizer`` subclass (hyperparameters inferred from its signature,
:mod:`shared.optim.inference`) or an :class:`~shared.optim.plugin_api.OptimizerPlugin`.

:func:`discover` runs at start-up in the API and in each worker. It describes the plugins
in a child process (:func:`shared.registry.describe_in_child`), where
:func:`describe` imports each one, types its hyperparameters and probes how restarts may
share it on the synthetic landscapes; this process only reads the answers, so the API
never imports torch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared.config import Settings
from shared.deadline import run_time_limit
from shared.optim.declarations import (
    OptimizerDeclaration,
    builtin_registry,
    set_registry,
)
from shared.optim.hyperparameters import from_json, to_json
from shared.optim.inference import infer_hyperparameters, needs_closure
from shared.optim.plugin_api import OptimizerPlugin
from shared.registry import Contribution, Origin, Registry, describe_in_child, load_object

log = logging.getLogger(__name__)

DESCRIBER = "shared.optim.plugins:describe"
#: Where a plugin under probe comes from (the probe's throwaway declaration).
_PROBE_ORIGIN = Origin("package")
COUPLINGS = ("elementwise", "per_tensor", "global")
#: Wall-clock seconds the landscape probe of one plugin may take.
PROBE_SECONDS = 20.0


def _class_of(obj: Any) -> type:
    import torch

    cls = load_object(obj) if isinstance(obj, str) else obj
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise TypeError(
            f"{cls!r} is not a torch.optim.Optimizer subclass (nor an OptimizerPlugin "
            "declaring one)"
        )
    return cls


def describe(name: str, target: str) -> dict[str, Any]:
    """The JSON declaration of the plugin ``name`` at ``target`` (run in a child process:
    imports the plugin and torch)."""
    obj = load_object(target)
    declared = obj if isinstance(obj, OptimizerPlugin) else OptimizerPlugin(optimizer=obj)
    cls = _class_of(declared.optimizer)
    notes: list[str] = []
    if declared.hyperparameters is None:
        hyperparameters, tuples, skipped = infer_hyperparameters(cls)
        if skipped:
            notes.append(f"left at the class's defaults: {', '.join(skipped)}")
    else:
        hyperparameters, tuples = declared.hyperparameters, declared.tuples or ()
    closure = needs_closure(cls) if declared.needs_closure is None else declared.needs_closure
    description = declared.description or (cls.__doc__ or "").strip().split("\n\n")[0]
    answer = {
        "description": " ".join(description.split()) or f"{cls.__qualname__} (no docstring)",
        "hyperparameters": [to_json(h) for h in hyperparameters],
        "tuples": [[argument, list(elements)] for argument, elements in tuples],
        "needs_closure": closure,
        "needs_loss_closure": declared.needs_loss_closure,
        "gradient_evaluations_per_step": declared.gradient_evaluations_per_step,
        "target": f"{cls.__module__}:{cls.__qualname__}",
        "coupling": declared.coupling,
        "notes": notes,
    }
    if answer["coupling"] is None:
        answer["coupling"], why = probe(answer)
        if why:
            notes.append(why)
    return answer


def probe(answer: dict[str, Any]) -> tuple[str | None, str | None]:
    """How restarts may share the optimizer on the landscapes, found by running a few
    restarts stacked and separately (:func:`shared.landscapes.torch_engine.probe_coupling`);
    ``(None, reason)`` when it cannot run there."""
    try:
        from shared.landscapes.torch_engine import probe_coupling
    except ImportError:
        return "global", "coupling not probed (no PyTorch landscape path): one per restart"
    adopted = adopt(Contribution("probe", answer["target"], _PROBE_ORIGIN), answer)
    from shared.optim.registry import build_declared, warm_up

    warm_up()

    try:
        with run_time_limit(PROBE_SECONDS, what="probing how restarts share it"):
            found = probe_coupling(
                lambda params, restarts: build_declared(adopted, params, seed=restarts.start)
            )
    except Exception as error:
        return None, f"cannot run on the landscapes: {type(error).__name__}: {error}"
    return found, f"coupling probed: {found}"


def adopt(contribution: Contribution, described: Mapping[str, Any]) -> OptimizerDeclaration:
    """A described plugin as a declaration (ValueError for a malformed description)."""
    hyperparameters = tuple(from_json(h) for h in described["hyperparameters"])
    coupling = described.get("coupling")
    if coupling is not None and coupling not in COUPLINGS:
        raise ValueError(f"coupling {coupling!r} is not one of {', '.join(COUPLINGS)}")
    tuples = tuple((a, tuple(e)) for a, e in described.get("tuples") or ())
    elements = {e for _, es in tuples for e in es}
    missing = elements - {h.name for h in hyperparameters}
    if missing:
        raise ValueError(f"tuple elements without a hyperparameter: {', '.join(sorted(missing))}")
    per_step = described.get("gradient_evaluations_per_step", 1)
    return OptimizerDeclaration(
        contribution.name,
        str(described.get("description") or ""),
        hyperparameters,
        needs_closure=bool(described.get("needs_closure", False)),
        needs_loss_closure=bool(described.get("needs_loss_closure", False)),
        gradient_evaluations_per_step=None if per_step is None else int(per_step),
        implementation="torch",
        target=str(described["target"]),
        tuples=tuples,
        coupling=coupling,
        origin=contribution.origin,
        notes=tuple(described.get("notes") or ()),
    )


def discover(
    cache_dir: Path | None = None, configured: str | None = None
) -> Registry[OptimizerDeclaration]:
    """Built-ins plus every installed plugin and those ``configured`` by the server
    (``OPTBENCH_OPTIMIZERS``), made the registry of this process. Refused and
    unavailable plugins are logged and kept for the catalog."""
    registry = builtin_registry()
    contributions = registry.contributions({registry.variable or "": configured or ""})
    descriptions = describe_in_child(DESCRIBER, contributions, cache_dir)
    registry.register(contributions, descriptions, adopt)
    set_registry(registry)
    if contributions:
        log.info(
            "optimizer plugins: %s",
            ", ".join(f"{n} ({registry.origins[n]})" for n in registry.names() if n in descriptions)
            or "none usable",
        )
    return registry


def discover_for(settings: Settings) -> Registry[OptimizerDeclaration]:
    """:func:`discover` with a process's settings (the API's and each worker's start)."""
    if not settings.plugins:
        registry = builtin_registry()
        set_registry(registry)
        return registry
    return discover(settings.plugin_cache, settings.optimizers)
