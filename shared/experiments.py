"""Experiments and their runs: planning, status, cancellation (used by API and worker).

Services here only flush; the caller (a request, a task) commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.models import Experiment, Run, Status, TunedConfiguration, User
from shared.errors import FieldProblem, at
from shared.optim.declarations import declaration
from shared.spec import AnySpec, LandscapeSpec, OptimizerSpec, TrainingSpec, TuningSpec, study_spec
from shared.sweeps import expand
from shared.tasks.catalog import task_declaration
from shared.version import code_version


@dataclass(frozen=True)
class RunPlan:
    key: str
    optimizer: str
    function: str | None = None
    trajectory: int | None = None
    queue: str = "cpu"
    #: The optimizer's origin in this process's catalog (a plugin's package, version).
    origin: dict[str, Any] | None = None


def expand_sweeps(spec: AnySpec) -> AnySpec:
    """The spec with every swept optimizer entry replaced by its grid's configurations
    (see :mod:`shared.sweeps`); what is stored, so workers see plain configurations."""
    if not any(o.sweep for o in spec.optimizers):
        return spec
    return spec.model_copy(update={"optimizers": expand(spec.optimizers)})


def _origin(optimizer: str) -> dict[str, Any]:
    return declaration(optimizer).origin.as_dict()


def plan_runs(spec: AnySpec) -> list[RunPlan]:
    """One run per (function, configuration) — a batch of restarts — or per trajectory;
    a sweep's configurations are planned one by one. A study's trials are planned as the
    budget allows (:func:`shared.tuning.study.plan_trials`), so none here."""
    if isinstance(spec, TuningSpec):
        return []
    spec = expand_sweeps(spec)
    if isinstance(spec, LandscapeSpec):
        return [
            RunPlan(
                key=f"{function}/{o.key}",
                optimizer=o.key,
                function=function,
                origin=_origin(o.optimizer),
            )
            for function in spec.functions
            for o in spec.optimizers
        ]
    device = spec.device
    if device == "auto":
        device = task_declaration(spec.task).default_device
    queue = "gpu" if device == "cuda" else "cpu"
    return [
        RunPlan(
            key=f"{o.key}/{t}",
            optimizer=o.key,
            trajectory=t,
            queue=queue,
            origin=_origin(o.optimizer),
        )
        for o in spec.optimizers
        for t in range(spec.trajectories)
    ]


def active_runs_asked(spec: AnySpec) -> int:
    """Runs a submission queues at once (a study: its first trials)."""
    tuning = spec.tuning if not isinstance(spec, LandscapeSpec) else None
    first_trials = 0
    if tuning is not None:
        budget = tuning.trials if tuning.trials is not None else tuning.parallel
        first_trials = len(spec.optimizers) * min(tuning.parallel, budget)
    return len(plan_runs(spec)) + first_trials


def create_experiment(
    session: Session, owner: User, spec: AnySpec, parent: Experiment | None = None
) -> Experiment:
    """The experiment and its runs; a study's first trials, and the study a training
    spec with ``tuning:`` starts (its trials' runs are in ``new_runs(session)``)."""
    from shared.tuning.study import plan_trials

    spec = expand_sweeps(spec)
    experiment = Experiment(
        owner=owner,
        name=spec.name,
        kind=spec.kind,
        spec=spec.model_dump(mode="json"),
        seed=spec.seed,
        status=Status.queued,
        code_version=code_version(),
        runs=[
            Run(
                key=p.key,
                optimizer=p.optimizer,
                function=p.function,
                trajectory=p.trajectory,
                queue=p.queue,
                optimizer_origin=p.origin,
            )
            for p in plan_runs(spec)
        ],
        parent_id=parent.id if parent is not None else None,
    )
    session.add(experiment)
    session.flush()
    if isinstance(spec, TuningSpec):
        plan_trials(session, experiment, spec)
    elif isinstance(spec, TrainingSpec) and spec.tuning is not None:
        create_experiment(session, owner, study_spec(spec), parent=experiment)
    return experiment


def refresh_status(session: Session, experiment_id: int) -> Experiment:
    """Derive the experiment's status from its runs, under a row lock.

    Two workers finishing the last two runs at once both get here; the lock makes the
    second wait and then see the first's committed run, so the experiment is marked
    finished exactly when its last run is.
    """
    session.execute(select(Experiment.id).where(Experiment.id == experiment_id).with_for_update())
    experiment = session.get(Experiment, experiment_id, populate_existing=True)
    assert experiment is not None
    if experiment.kind == "tuning":
        from shared.tuning.study import advance_study

        advance_study(session, experiment)
    counts = dict(
        session.execute(
            select(Run.status, func.count())
            .where(Run.experiment_id == experiment_id)
            .group_by(Run.status)
        ).all()
    )
    total = sum(counts.values())
    finished = sum(counts.get(s, 0) for s in Status if s.terminal)
    if total and finished == total and not _awaiting_study(session, experiment):
        if experiment.kind == "tuning":  # failed trials are part of a study's search
            status = Status.failed if experiment.error else Status.succeeded
            if experiment.cancel_requested:
                status = Status.cancelled
        elif counts.get(Status.failed):
            status = Status.failed
        elif counts.get(Status.cancelled):
            status = Status.cancelled
        else:
            status = Status.succeeded
        if experiment.status != status:
            experiment.status = status
            experiment.finished_at = utcnow()
    elif experiment.status == Status.queued and (counts.get(Status.running) or finished):
        experiment.status = Status.running
        experiment.started_at = experiment.started_at or utcnow()
    session.flush()
    return experiment


def _awaiting_study(session: Session, experiment: Experiment) -> bool:
    from shared.tuning.study import awaiting_study

    return awaiting_study(session, experiment)


def request_cancel(session: Session, experiment: Experiment) -> Experiment:
    """Queued runs are cancelled now; running ones stop at their next progress report.
    A training experiment's study is cancelled with it."""
    if experiment.status.terminal:
        return experiment
    study = session.scalar(select(Experiment).where(Experiment.parent_id == experiment.id))
    if study is not None:
        request_cancel(session, study)
    experiment.cancel_requested = True
    for run in experiment.runs:
        if run.status == Status.queued:
            run.status = Status.cancelled
            run.finished_at = utcnow()
    session.flush()
    return refresh_status(session, experiment.id)


def progress(session: Session, experiment_id: int) -> float:
    """Mean run progress, 0–1 (finished runs count as 1); a study's share of its budget."""
    experiment = session.get(Experiment, experiment_id)
    if experiment is not None and experiment.kind == "tuning":
        from shared.tuning.study import study_progress

        return study_progress(session, experiment)
    rows = session.execute(
        select(Run.status, Run.progress).where(Run.experiment_id == experiment_id)
    ).all()
    if not rows:
        return 0.0
    return sum(1.0 if s.terminal else p for s, p in rows) / len(rows)


def resolve_tuned(session: Session, spec: AnySpec) -> tuple[AnySpec, list[FieldProblem]]:
    """Fill in hyperparameters from referenced tuned configurations (explicit ones win).

    Returns the resolved spec, which is what gets stored, so an experiment stays
    reproducible whatever happens to the tuned configuration later; and the problems,
    each at its entry's ``tuned``.
    """
    errors: list[FieldProblem] = []
    resolved: list[OptimizerSpec] = []
    for i, optimizer in enumerate(spec.optimizers):
        if optimizer.tuned is None:
            resolved.append(optimizer)
            continue

        def problem(message: str, i: int = i) -> None:
            errors.append(at(("optimizers", i, "tuned"), message))

        row = session.scalar(
            select(TunedConfiguration).where(TunedConfiguration.name == optimizer.tuned)
        )
        if isinstance(spec, LandscapeSpec):
            problem("tuned configurations apply to training experiments only")
        elif row is None:
            problem(f"no tuned configuration named {optimizer.tuned!r}")
        elif row.optimizer != optimizer.optimizer:
            problem(f"{optimizer.tuned!r} tunes {row.optimizer}, not {optimizer.optimizer}")
        elif row.task != spec.task:
            problem(f"{optimizer.tuned!r} was tuned on {row.task}, not {spec.task}")
        else:
            merged = {**row.hyperparameters, **optimizer.hyperparameters}
            resolved.append(optimizer.model_copy(update={"hyperparameters": merged}))
            continue
        resolved.append(optimizer)
    return spec.model_copy(update={"optimizers": resolved}), errors
