"""A study's accounting, in the platform's database: which trials exist, what they
spent, when more may start, and how the study ends.

Trials are runs of the tuning experiment, one :class:`TuningTrial` row each. A trial is
*settled* (its state, value and spend written) in the same transaction that finishes its
run, and only while it is unsettled, so it is counted exactly once however often its
message is delivered or its worker dies. New trials are planned in that transaction too,
under the experiment's row lock, so two workers finishing at once cannot both start the
trial that the budget has room for once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.models import Experiment, Run, Status, TunedConfiguration, TuningTrial
from shared.failures import one_line
from shared.spec import TrainingSpec, TuningSpec, parse_spec
from shared.tasks.catalog import task_declaration
from shared.tuning.admission import objective_of, reserved_cost, trial_gradient_evaluations
from shared.tuning.objective import objective_metrics

log = logging.getLogger(__name__)

#: Where a transaction collects the runs it created (they wait for their turn in the
#: broker's window, shared/dispatch.py).
NEW_RUNS = "optbench.new_runs"
#: Trial states once settled.
SETTLED_STATES = ("complete", "pruned", "failed", "cancelled")


def queue_of(device: str, task: str) -> str:
    if device == "auto":
        device = task_declaration(task).default_device
    return "gpu" if device == "cuda" else "cpu"


def new_runs(session: Session) -> list[Run]:
    """The runs this session's transaction created."""
    return list(session.info.get(NEW_RUNS, []))


def _created(session: Session, runs: Iterable[Run]) -> None:
    session.info.setdefault(NEW_RUNS, []).extend(runs)


@dataclass
class Spend:
    """One optimizer's budget so far."""

    trials: int = 0
    in_flight: int = 0
    used: int = 0
    reserved: int = 0


def spend(trials: Iterable[TuningTrial]) -> dict[str, Spend]:
    out: dict[str, Spend] = {}
    for t in trials:
        s = out.setdefault(t.optimizer, Spend())
        s.trials += 1
        if t.settled:
            s.used += t.gradient_evaluations or 0
        else:
            s.in_flight += 1
            s.reserved += t.reserved_gradient_evaluations or 0
    return out


def plan_trials(session: Session, experiment: Experiment, spec: TuningSpec) -> list[Run]:
    """Start the trials the budget has room for (at most ``parallel`` per optimizer at
    once); the caller holds the experiment's row lock."""
    if experiment.cancel_requested or experiment.status.terminal:
        return []
    tuning = spec.tuning
    existing = session.scalars(
        select(TuningTrial).where(TuningTrial.experiment_id == experiment.id)
    ).all()
    spent = spend(existing)
    trial_ge = trial_gradient_evaluations(spec, tuning)
    queue = queue_of(spec.device, spec.task)
    created = []
    for o in spec.optimizers:
        s = spent.get(o.key, Spend())
        cost = reserved_cost(o.optimizer, trial_ge)
        while s.in_flight < tuning.parallel:
            if tuning.trials is not None and s.trials >= tuning.trials:
                break
            if tuning.gradient_evaluations is not None and (
                cost is None or s.used + s.reserved + cost > tuning.gradient_evaluations
            ):
                break
            run = Run(
                experiment_id=experiment.id,
                key=f"{o.key}/trial-{s.trials}",
                optimizer=o.key,
                trajectory=s.trials,
                queue=queue,
                status=Status.queued,  # unsent: it waits for its turn (shared/dispatch.py)
            )
            session.add(run)
            session.flush()
            session.add(
                TuningTrial(
                    experiment_id=experiment.id,
                    run_id=run.id,
                    optimizer=o.key,
                    number=s.trials,
                    state="queued",
                    reserved_gradient_evaluations=cost,
                )
            )
            s.trials += 1
            s.in_flight += 1
            s.reserved += cost or 0
            created.append(run)
        spent[o.key] = s
    session.flush()
    _created(session, created)
    return created


def settle(
    trial: TuningTrial,
    state: str,
    *,
    value: float | None = None,
    gradient_evaluations: int | None = None,
    error: str | None = None,
) -> bool:
    """Write a trial's outcome once; False if it was settled already."""
    if trial.settled:
        return False
    trial.state = state
    trial.value = value
    trial.gradient_evaluations = gradient_evaluations or 0
    trial.error = one_line(error) if error else None
    trial.settled = True
    return True


def advance_study(session: Session, experiment: Experiment) -> None:
    """Settle trials whose runs ended without their worker settling them (given up by
    the reconciler, cancelled), start the trials the budget allows, and end the study
    when nothing is left to run. Idempotent; called under the experiment's row lock."""
    if experiment.status.terminal:
        return
    spec = parse_spec(experiment.spec, catalog=False)
    assert isinstance(spec, TuningSpec)
    rows = session.execute(
        select(TuningTrial, Run)
        .join(Run, Run.id == TuningTrial.run_id)
        .where(TuningTrial.experiment_id == experiment.id)
    ).all()
    ended = []
    for trial, run in rows:
        if trial.settled or not run.status.terminal:
            continue
        if run.status == Status.cancelled:
            settle(trial, "cancelled")
        else:
            settle(trial, "failed", error=run.error or "the trial ended without a result")
        ended.append(trial)
    session.flush()
    _tell_optuna(session, experiment, spec, ended)
    plan_trials(session, experiment, spec)
    if any(
        not t.settled
        for t in session.scalars(
            select(TuningTrial).where(TuningTrial.experiment_id == experiment.id)
        )
    ):
        return
    finish_study(session, experiment, spec)


def _tell_optuna(
    session: Session, experiment: Experiment, spec: TuningSpec, trials: list[TuningTrial]
) -> None:
    """Trials settled here never reached their worker's tell (the reconciler gave up on
    them, or they were cancelled): their Optuna trials end as failed too, so the study's
    sampler and pruner do not wait on trials that will never report. A second tell is a
    no-op; Optuna unreachable leaves them running there and the platform's record stands."""
    asked = [t for t in trials if t.optuna_trial_id is not None]
    if not asked:
        return
    from shared.tuning import search  # Optuna loads only where a study needs it

    url = session.get_bind().url.render_as_string(hide_password=False)
    direction = objective_metrics(spec.task)[objective_of(spec.task, spec.tuning)]
    for t in asked:
        assert t.optuna_trial_id is not None
        try:
            search.tell(
                url,
                (experiment.id, experiment.created_at),
                t.optimizer,
                direction,
                t.optuna_trial_id,
                t.state,
                None,
            )
        except Exception:  # Optuna's own bookkeeping; the platform's record is the truth
            log.warning("trial %s: Optuna not told it ended", t.run_id, exc_info=True)


@dataclass
class Best:
    optimizer: str
    hyperparameters: dict[str, Any]
    value: float
    trial: int


def best_trials(trials: Iterable[TuningTrial], direction: str) -> dict[str, Best]:
    """Each optimizer's best complete trial in the objective's direction (ties: the
    earlier trial)."""
    best: dict[str, Best] = {}
    sign = 1.0 if direction == "higher" else -1.0
    for t in sorted(trials, key=lambda t: t.number):
        if t.state != "complete" or t.value is None:
            continue
        current = best.get(t.optimizer)
        if current is None or sign * t.value > sign * current.value:
            best[t.optimizer] = Best(t.optimizer, dict(t.hyperparameters or {}), t.value, t.number)
    return best


def finish_study(session: Session, experiment: Experiment, spec: TuningSpec) -> None:
    """Every trial is settled and none may start: save each optimizer's best as a tuned
    configuration, mark a study without any complete trial failed (with its first
    failure's cause), and start a parent training experiment's ``@tuned`` runs."""
    trials = session.scalars(
        select(TuningTrial)
        .where(TuningTrial.experiment_id == experiment.id)
        .order_by(TuningTrial.id)
    ).all()
    objective = objective_of(spec.task, spec.tuning)
    direction = objective_metrics(spec.task).get(objective, "higher")
    # a cancelled study saves nothing: its search did not run to its budget
    best = {} if experiment.cancel_requested else best_trials(trials, direction)
    saved: dict[str, str] = {}
    if not best and not experiment.cancel_requested:
        first = next((t for t in trials if t.state == "failed"), None)
        experiment.error = (
            f"every trial failed; the first: {first.error}" if first else "no trial ran"
        )
    for o in spec.optimizers:
        b = best.get(o.key)
        if b is None:
            continue
        name = tuned_name(spec, experiment.id, o.key)
        if session.scalar(select(TunedConfiguration.id).where(TunedConfiguration.name == name)):
            name = f"{name}-{experiment.id}"[:100]
        session.add(
            TunedConfiguration(
                name=name,
                owner_id=experiment.owner_id,
                task=spec.task,
                task_options=dict(spec.task_options),
                optimizer=o.optimizer,
                hyperparameters=b.hyperparameters,
                metric=objective,
                value=b.value,
                search={
                    "experiment": experiment.id,
                    "key": o.key,
                    "trial": b.trial,
                    "budget": spec.tuning.budget_text(),
                    "tuning": spec.tuning.as_search_record(),
                    "trials": [
                        {
                            "number": t.number,
                            "state": t.state,
                            "value": t.value,
                            "params": t.hyperparameters,
                        }
                        for t in trials
                        if t.optimizer == o.key
                    ],
                },
            )
        )
        saved[o.key] = name
    session.flush()
    if experiment.parent_id is not None:
        _start_tuned_populations(session, experiment, spec, best, saved)


def tuned_name(spec: TuningSpec, experiment_id: int, key: str) -> str:
    prefix = spec.tuning.name or f"study-{experiment_id}"
    return f"{prefix}-{key}"[:100]


def _start_tuned_populations(
    session: Session,
    study: Experiment,
    spec: TuningSpec,
    best: dict[str, Best],
    saved: dict[str, str],
) -> None:
    """The parent runs each optimizer again at its tuned hyperparameters, as ``KEY@tuned``
    (or, where the study found nothing, records why that population cannot run)."""
    session.execute(select(Experiment.id).where(Experiment.id == study.parent_id).with_for_update())
    parent = session.get(Experiment, study.parent_id, populate_existing=True)
    if parent is None:
        return
    parent_spec = parse_spec(parent.spec, catalog=False)
    assert isinstance(parent_spec, TrainingSpec)
    entries = [o.model_dump(mode="json", exclude_none=True) for o in parent_spec.optimizers]
    runs = []
    queue = queue_of(parent_spec.device, parent_spec.task)
    for o in spec.optimizers:
        label = f"{o.key}@tuned"
        b = best.get(o.key)
        entry: dict[str, Any] = {"name": o.name, "label": label}
        if o.base is not None:
            entry["base"] = o.base
        if b is not None:
            entry.update(hyperparameters=b.hyperparameters, tuned=saved[o.key])
        entries.append(entry)
        for t in range(parent_spec.trajectories):
            run = Run(
                experiment_id=parent.id,
                key=f"{label}/{t}",
                optimizer=label,
                trajectory=t,
                queue=queue,
            )
            if b is None:
                run.status, run.finished_at = (
                    (Status.cancelled, utcnow())
                    if study.cancel_requested
                    else (Status.failed, utcnow())
                )
                cause = study.error or "no trial completed"
                run.error = (
                    None
                    if study.cancel_requested
                    else f"tuning found no configuration for {o.key}: {cause}"
                )
            session.add(run)
            runs.append(run)
    parent.spec = {**parent.spec, "optimizers": entries}
    session.flush()
    _created(session, [r for r in runs if r.status == Status.queued])
    from shared.experiments import refresh_status

    refresh_status(session, parent.id)


def awaiting_study(session: Session, experiment: Experiment) -> bool:
    """A training experiment whose ``@tuned`` populations are not planned yet."""
    if experiment.kind != "training" or not experiment.spec.get("tuning"):
        return False
    return not session.scalar(
        select(Run.id)
        .where(Run.experiment_id == experiment.id, Run.optimizer.like("%@tuned"))
        .limit(1)
    )


def study_of(session: Session, experiment: Experiment) -> Experiment | None:
    """The study of a tuning experiment (itself) or of a training spec with ``tuning:``."""
    if experiment.kind == "tuning":
        return experiment
    return session.scalar(select(Experiment).where(Experiment.parent_id == experiment.id))


def study_progress(session: Session, experiment: Experiment) -> float:
    """The share of the study's budget spent or committed, 0–1: trials finished plus the
    progress of those running, over the trials granted (or, for a budget in gradient
    evaluations, gradient evaluations spent over those granted)."""
    if experiment.status.terminal:
        return 1.0
    return study_share(experiment, study_trial_rows(session, [experiment.id])[experiment.id])


def study_trial_rows(
    session: Session, experiment_ids: Iterable[int]
) -> dict[int, list[tuple[bool, int | None, float]]]:
    """Per study, each trial's (settled, gradient evaluations, run progress): what
    :func:`study_share` reads, for several studies in one query."""
    ids = list(experiment_ids)
    out: dict[int, list[tuple[bool, int | None, float]]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.execute(
        select(
            TuningTrial.experiment_id,
            TuningTrial.settled,
            TuningTrial.gradient_evaluations,
            Run.progress,
        )
        .join(Run, Run.id == TuningTrial.run_id)
        .where(TuningTrial.experiment_id.in_(ids))
    ).all()
    for experiment_id, settled, gradient_evaluations, progress in rows:
        out[experiment_id].append((settled, gradient_evaluations, progress))
    return out


def study_share(experiment: Experiment, rows: Iterable[tuple[bool, int | None, float]]) -> float:
    """:func:`study_progress` from the study's trial rows (:func:`study_trial_rows`)."""
    if experiment.status.terminal:
        return 1.0
    spec = parse_spec(experiment.spec, catalog=False)
    assert isinstance(spec, TuningSpec)
    rows = list(rows)
    tuning = spec.tuning
    optimizers = len(spec.optimizers)
    if tuning.trials is not None:
        done = sum(1.0 if settled else p for settled, _, p in rows)
        return min(1.0, done / (tuning.trials * optimizers))
    trial_ge = trial_gradient_evaluations(spec, tuning) or 0
    spent = sum((ge or 0) if settled else p * trial_ge for settled, ge, p in rows)
    return min(1.0, spent / ((tuning.gradient_evaluations or 1) * optimizers))
