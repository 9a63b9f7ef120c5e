"""Checks of a study that need more than the spec's own types: search entries against
the declarations, the objective against the task, the budget against the server's limits
and against fairness (every optimizer the same budget). Each problem is located at its
field (``shared.errors.FieldProblem``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.db.models import TunedConfiguration
from shared.errors import FieldProblem, at
from shared.limits import server_limit
from shared.optim.declarations import declaration
from shared.spec import TrainingSpec, TuningSpec, limit_violations, study_spec
from shared.tuning.objective import default_objective, objective_metrics
from shared.tuning.settings import TuningSettings
from shared.tuning.space import SearchSpace, SearchSpaceError, search_space


def objective_of(task: str, tuning: TuningSettings) -> str:
    return tuning.objective or default_objective(task)


def spaces(
    optimizers: list[Any], tuning: TuningSettings
) -> tuple[dict[str, SearchSpace], list[FieldProblem]]:
    """Each optimizer configuration's search space (by key), and the problems found."""
    found: dict[str, SearchSpace] = {}
    issues = []
    keys = {o.key for o in optimizers}
    for key in tuning.search:
        if key not in keys:
            issues.append(
                at(
                    ["tuning", "search", key],
                    f"{key!r} is not an optimizer of this spec; its optimizers: "
                    f"{', '.join(sorted(keys))}",
                )
            )
    for o in optimizers:
        try:
            space = search_space(o.optimizer, o.hyperparameters, tuning.search.get(o.key))
        except SearchSpaceError as error:
            issues.append(at(["tuning", "search", o.key, *error.loc], str(error)))
            continue
        if not space.dimensions:
            issues.append(at(["tuning", "search", o.key], f"{o.key}: nothing left to search"))
            continue
        found[o.key] = space
    return found, issues


def study_violations(spec: Any, tuning: TuningSettings, settings: Settings) -> list[FieldProblem]:
    """Problems of a study over ``spec.optimizers`` on ``spec.task`` whose trials train
    for ``trial_budget`` (the spec's own budget unless ``tuning.trial_budget``)."""
    issues: list[FieldProblem] = []
    if any(o.sweep for o in spec.optimizers):
        issues.append(at(["optimizers"], "a tuned spec cannot sweep; the study searches instead"))
    _, space_issues = spaces(spec.optimizers, tuning)
    issues += space_issues
    metrics = objective_metrics(spec.task)
    if tuning.objective is not None and tuning.objective not in metrics:
        issues.append(
            at(
                ["tuning", "objective"],
                f"{spec.task} does not report {tuning.objective!r}; it reports: "
                f"{', '.join(metrics)}",
            )
        )
    issues += _over_limit("tuning.trials", tuning.trials, settings)
    trial_ge = trial_gradient_evaluations(spec, tuning)
    if tuning.gradient_evaluations is not None:
        issues += _over_limit("tuning.gradient_evaluations", tuning.gradient_evaluations, settings)
        if trial_ge is None:
            issues.append(
                at(
                    ["tuning", "gradient_evaluations"],
                    "a budget in gradient evaluations needs each trial budgeted in gradient "
                    "evaluations too (budget: {gradient_evaluations: N}, or "
                    "tuning.trial_budget), so that a trial's cost is known before it starts",
                )
            )
        elif any(
            trial_ge + _overshoot(o.optimizer) > tuning.gradient_evaluations
            for o in spec.optimizers
        ):
            issues.append(
                at(
                    ["tuning", "gradient_evaluations"],
                    f"{tuning.gradient_evaluations} gradient evaluations do not pay for one "
                    f"trial of {trial_ge}",
                )
            )
    elif trial_ge is None:
        per_step = {
            o.key: declaration(o.optimizer).gradient_evaluations_per_step for o in spec.optimizers
        }
        if len(set(per_step.values())) > 1:
            text = ", ".join(f"{k}: {v or 'varies'}" for k, v in per_step.items())
            issues.append(
                at(
                    ["tuning", "trials"],
                    f"unequal budgets: trials of the same epochs cost different gradient "
                    f"evaluations per step ({text}); budget each trial in gradient evaluations "
                    "or tune with tuning.gradient_evaluations",
                )
            )
    return issues


def _over_limit(field: str, value: int | None, settings: Settings) -> list[FieldProblem]:
    """``field`` of the study's settings over this server's limit (``shared.limits``)."""
    limit = server_limit(field).maximum(settings)
    if value is None or value <= limit:
        return []
    return [at(field, f"{field}: {value} is over this server's limit of {limit}", "limit_exceeded")]


def trial_gradient_evaluations(spec: Any, tuning: TuningSettings) -> int | None:
    """Each trial's gradient-evaluation budget, or None when trials count epochs."""
    if tuning.trial_budget is not None:
        return tuning.trial_budget.gradient_evaluations
    return getattr(spec.budget, "gradient_evaluations", None)


def _overshoot(optimizer: str) -> int:
    """A trial stops at the first step that reaches its budget; an optimizer with k
    gradient evaluations a step may pass it by k − 1 (2 where the count varies)."""
    per_step = declaration(optimizer).gradient_evaluations_per_step
    return (per_step or 3) - 1


def reserved_cost(optimizer: str, trial_ge: int | None) -> int | None:
    """The most gradient evaluations one trial may spend (None: not known in advance)."""
    return None if trial_ge is None else trial_ge + _overshoot(optimizer)


def tuning_violations(session: Session, spec: Any, settings: Any) -> list[FieldProblem]:
    """A submission's study problems (the checks above, and a tuned training spec's), and a tuned
    configuration name the study would save that is taken already."""
    tuning = spec.tuning if isinstance(spec, TrainingSpec | TuningSpec) else None
    if tuning is None:
        return []
    issues = study_violations(spec, tuning, settings)
    if isinstance(spec, TrainingSpec):
        issues += _training_study_violations(spec, settings)
    if tuning.name is not None:
        names = [f"{tuning.name}-{o.key}"[:100] for o in spec.optimizers]
        taken = session.scalars(
            select(TunedConfiguration.name).where(TunedConfiguration.name.in_(names))
        ).all()
        if taken:
            issues.append(
                at(
                    ("tuning", "name"),
                    f"a tuned configuration {taken[0]!r} exists already; choose another name",
                )
            )
    return issues


def _training_study_violations(spec: TrainingSpec, settings: Any) -> list[FieldProblem]:
    """What a training spec's study and its ``KEY@tuned`` populations need: labels that
    stay within bounds, and a trial budget the server allows."""
    issues: list[FieldProblem] = []
    keys = {o.key for o in spec.optimizers}
    for i, o in enumerate(spec.optimizers):
        label = f"{o.key}@tuned"
        if len(label) > 200 - 8:  # room for the runs' "/N" keys too
            issues.append(at(["optimizers", i, "label"], f"{o.key!r} is too long to tune"))
        elif label in keys:
            issues.append(
                at(["optimizers", i, "label"], f"{label!r} is the tuned population's label")
            )
    trial = spec.tuning.trial_budget if spec.tuning is not None else None
    if trial is None:
        return issues
    try:
        study = study_spec(spec)
    except ValidationError as error:
        first = error.errors()[0]
        return [*issues, at(["tuning", "trial_budget"], first["msg"])]
    for problem in limit_violations(study, settings):
        if problem.field[0] == "budget":
            field = ".".join(str(p) for p in problem.field[1:])
            issues.append(
                at(
                    ("tuning", "trial_budget", *problem.field[1:]),
                    problem.message.replace(f"budget.{field}", f"tuning.trial_budget.{field}"),
                    "limit_exceeded",
                )
            )
    return issues
