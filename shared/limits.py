"""This server's limits on what a spec may ask for: one table, which field each setting
bounds.

The spec's own types bound what any server could take; a server then refuses more than
its settings allow. The table is read twice, so the two never disagree: by the
submission checks (``shared.spec.limit_violations``, and the study's checks in
``shared.tuning.admission``) and by the JSON schema the server publishes
(``api.schemas.limits``), which shows a client the limits before it submits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shared.config import Settings
from shared.sweeps import configuration_count


@dataclass(frozen=True)
class ServerLimit:
    #: Where in a spec: a dotted path (``budget.epochs``).
    field: str
    #: The setting that holds this server's maximum (``max_epochs``, ``OPTBENCH_MAX_EPOCHS``).
    setting: str
    #: The published schema's definitions that hold the field (its last part); none for
    #: a count that is no field of its own.
    schema: tuple[str, ...]
    #: What is bounded: the field's value, a list's length, or a sweep's grid points.
    measure: Literal["value", "items", "configurations"] = "value"

    @property
    def keyword(self) -> str:
        """How the published schema states the bound."""
        return "maxItems" if self.measure == "items" else "maximum"

    def maximum(self, settings: Settings) -> Any:
        return getattr(settings, self.setting)

    def asked(self, spec: Any) -> Any:
        """What ``spec`` asks for; None where it has no such field (another kind of
        spec, the other kind of budget, no study)."""
        if self.measure == "configurations":
            return configuration_count(spec.optimizers)
        value = spec
        for part in self.field.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return len(value) if self.measure == "items" else value


SPECS = ("LandscapeSpec", "TrainingSpec", "TuningSpec")

#: In the order a submission's problems are listed.
SERVER_LIMITS: tuple[ServerLimit, ...] = (
    ServerLimit("optimizers", "max_optimizers", SPECS, "items"),
    # a sweep's grid points count one by one
    ServerLimit("configurations", "max_configurations", (), "configurations"),
    ServerLimit("restarts", "max_restarts", ("LandscapeSpec",)),
    ServerLimit("iterations", "max_iterations", ("LandscapeSpec",)),
    ServerLimit("functions", "max_functions", ("LandscapeSpec",), "items"),
    ServerLimit("trajectories", "max_trajectories", ("TrainingSpec",)),
    ServerLimit("budget.epochs", "max_epochs", ("EpochBudget",)),
    ServerLimit("budget.gradient_evaluations", "max_gradient_evaluations", ("GradientBudget",)),
    ServerLimit("tuning.trials", "max_trials", ("TuningSettings",)),
    ServerLimit("tuning.gradient_evaluations", "max_gradient_evaluations", ("TuningSettings",)),
)


def server_limit(field: str) -> ServerLimit:
    return next(limit for limit in SERVER_LIMITS if limit.field == field)


def is_study_limit(limit: ServerLimit) -> bool:
    """A bound on a study's settings (``tuning.*``): checked with the study
    (``shared.tuning.admission``), where a training spec's ``tuning:`` is checked too."""
    return limit.field.startswith("tuning.")
