"""Experiments and their runs: planning, status, cancellation (used by API and worker).

Services here only flush; the caller (a request, a task) commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.models import Experiment, Run, Status, TunedConfiguration, User
from shared.spec import LandscapeSpec, OptimizerSpec, TrainingSpec
from shared.sweeps import expand
from shared.tasks.catalog import task_declaration
from shared.version import code_version

#: Celery task names, by run kind: the API sends by name and never imports the worker.
TASK_NAMES = {"landscape": "optbench.run_landscape", "training": "optbench.run_training"}


@dataclass(frozen=True)
class RunPlan:
    key: str
    optimizer: str
    function: str | None = None
    trajectory: int | None = None
    queue: str = "cpu"


def expand_sweeps(spec: LandscapeSpec | TrainingSpec) -> LandscapeSpec | TrainingSpec:
    """The spec with every swept optimizer entry replaced by its grid's configurations
    (see :mod:`shared.sweeps`); what is stored, so workers see plain configurations."""
    if not any(o.sweep for o in spec.optimizers):
        return spec
    return spec.model_copy(update={"optimizers": expand(spec.optimizers)})


def plan_runs(spec: LandscapeSpec | TrainingSpec) -> list[RunPlan]:
    """One run per (function, configuration) — a batch of restarts — or per trajectory;
    a sweep's configurations are planned one by one."""
    spec = expand_sweeps(spec)
    if isinstance(spec, LandscapeSpec):
        return [
            RunPlan(key=f"{function}/{o.key}", optimizer=o.key, function=function)
            for function in spec.functions
            for o in spec.optimizers
        ]
    device = spec.device
    if device == "auto":
        device = task_declaration(spec.task).default_device
    queue = "gpu" if device == "cuda" else "cpu"
    return [
        RunPlan(key=f"{o.key}/{t}", optimizer=o.key, trajectory=t, queue=queue)
        for o in spec.optimizers
        for t in range(spec.trajectories)
    ]


def create_experiment(
    session: Session, owner: User, spec: LandscapeSpec | TrainingSpec
) -> Experiment:
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
            )
            for p in plan_runs(spec)
        ],
    )
    session.add(experiment)
    session.flush()
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
    counts = dict(
        session.execute(
            select(Run.status, func.count())
            .where(Run.experiment_id == experiment_id)
            .group_by(Run.status)
        ).all()
    )
    total = sum(counts.values())
    finished = sum(counts.get(s, 0) for s in Status if s.terminal)
    if total and finished == total:
        if counts.get(Status.failed):
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


def request_cancel(session: Session, experiment: Experiment) -> Experiment:
    """Queued runs are cancelled now; running ones stop at their next progress report."""
    if experiment.status.terminal:
        return experiment
    experiment.cancel_requested = True
    for run in experiment.runs:
        if run.status == Status.queued:
            run.status = Status.cancelled
            run.finished_at = utcnow()
    session.flush()
    return refresh_status(session, experiment.id)


def progress(session: Session, experiment_id: int) -> float:
    """Mean run progress, 0–1 (finished runs count as 1)."""
    rows = session.execute(
        select(Run.status, Run.progress).where(Run.experiment_id == experiment_id)
    ).all()
    if not rows:
        return 0.0
    return sum(1.0 if s.terminal else p for s, p in rows) / len(rows)


def resolve_tuned(
    session: Session, spec: LandscapeSpec | TrainingSpec
) -> tuple[LandscapeSpec | TrainingSpec, list[dict]]:
    """Fill in hyperparameters from referenced tuned configurations (explicit ones win).

    Returns the resolved spec, which is what gets stored, so an experiment stays
    reproducible whatever happens to the tuned configuration later; and 422-style errors.
    """
    errors: list[dict] = []
    resolved: list[OptimizerSpec] = []
    for i, optimizer in enumerate(spec.optimizers):
        if optimizer.tuned is None:
            resolved.append(optimizer)
            continue

        def problem(message: str, i: int = i) -> None:
            errors.append(
                {"loc": ["body", "optimizers", i, "tuned"], "msg": message, "type": "value_error"}
            )

        row = session.scalar(
            select(TunedConfiguration).where(TunedConfiguration.name == optimizer.tuned)
        )
        if not isinstance(spec, TrainingSpec):
            problem("tuned configurations apply to training experiments only")
        elif row is None:
            problem(f"no tuned configuration named {optimizer.tuned!r}")
        elif row.optimizer != optimizer.name:
            problem(f"{optimizer.tuned!r} tunes {row.optimizer}, not {optimizer.name}")
        elif row.task != spec.task:
            problem(f"{optimizer.tuned!r} was tuned on {row.task}, not {spec.task}")
        else:
            merged = {**row.hyperparameters, **optimizer.hyperparameters}
            resolved.append(optimizer.model_copy(update={"hyperparameters": merged}))
            continue
        resolved.append(optimizer)
    return spec.model_copy(update={"optimizers": resolved}), errors
