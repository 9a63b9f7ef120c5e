"""Executing one trial of a tuning study: bind it to an Optuna trial, train one
trajectory on the validation split with the same runner (records, checkpoints, exact
resume) as a training run, report each evaluation point to the pruner, and settle the
trial in the transaction that finishes its run."""

from __future__ import annotations

import logging
import math
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from shared.artifacts import ArtifactStoreUnavailable, artifact_store
from shared.artifacts.trajectory import AttemptSuperseded, TrajectoryArtifacts
from shared.artifacts.weights import UnreadableCheckpoint
from shared.config import get_settings
from shared.db.base import utcnow
from shared.db.models import Experiment, ModelRecord, Run, Status, TuningTrial
from shared.db.retry import with_retries
from shared.db.session import Sessions, url_of
from shared.experiments import refresh_status
from shared.optim.declarations import resolve_hyperparameters
from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.protocol.tuning import validation_split
from shared.spec import EpochBudget, TuningSpec, parse_spec
from shared.tasks.catalog import task_metric
from shared.tuning import search
from shared.tuning.admission import objective_of
from shared.tuning.objective import LOSS, objective_metrics, objective_value
from shared.tuning.space import configuration, search_space
from shared.tuning.study import new_runs, settle
from worker.dispatch import top_up
from worker.lifecycle import RunCancelled, claim_run, heartbeat, persist_evaluations
from worker.training import resolve_device, task_and_data

log = logging.getLogger(__name__)

#: A study's experiment: its id and creation time (what its Optuna studies are named by).
StudyKey = tuple[int, datetime]


class Pruned(Exception):
    """The pruner stopped the trial at an evaluation point (already stored)."""


@dataclass
class Outcome:
    state: str
    value: float | None = None
    gradient_evaluations: int = 0
    error: str | None = None


def _bind(
    sessions: Sessions, spec: TuningSpec, experiment: StudyKey, run: Run, direction: str
) -> tuple[int, dict[str, Any]]:
    """The run's Optuna trial and hyperparameters: asked for on the first attempt, the
    same ones on every later attempt (so a resumed trial continues the same search)."""
    with sessions() as session:
        trial = session.scalar(select(TuningTrial).where(TuningTrial.run_id == run.id))
        assert trial is not None, f"run {run.id} is not a trial"
        if trial.optuna_trial_id is not None:
            return trial.optuna_trial_id, dict(trial.hyperparameters or {})
        number = trial.number
    optimizer = next(o for o in spec.optimizers if o.key == run.optimizer)
    space = search_space(
        optimizer.optimizer, optimizer.hyperparameters, spec.tuning.search.get(optimizer.key)
    )
    trial_id, sampled = search.ask(
        url_of(sessions),
        experiment,
        optimizer.key,
        direction,
        space,
        seed=search.trial_seed(spec.seed, optimizer.key, number),
    )
    values = resolve_hyperparameters(optimizer.optimizer, configuration(space, sampled))
    with sessions() as session:
        bound = session.execute(
            update(TuningTrial)
            .where(TuningTrial.run_id == run.id, TuningTrial.optuna_trial_id.is_(None))
            .values(optuna_trial_id=trial_id, hyperparameters=values, state="running")
        ).rowcount
        session.commit()
        if bound:
            return trial_id, values
        trial = session.scalar(select(TuningTrial).where(TuningTrial.run_id == run.id))
        assert trial is not None and trial.optuna_trial_id is not None
    search.discard(url_of(sessions), experiment, optimizer.key, direction, trial_id)
    return trial.optuna_trial_id, dict(trial.hyperparameters or {})


def run_trial(sessions: Sessions, run_id: int) -> str:
    started = claim_run(sessions, run_id)
    if isinstance(started, str):
        return started
    run, experiment = started
    attempt = run.attempts
    bound: tuple[StudyKey, str, str, int] | None = None  # to tell Optuna the outcome
    try:
        spec = parse_spec(experiment.spec, catalog=False)
        assert isinstance(spec, TuningSpec) and run.trajectory is not None
        objective = objective_of(spec.task, spec.tuning)
        direction = objective_metrics(spec.task)[objective]
        key = (experiment.id, experiment.created_at)
        trial_id, values = _bind(sessions, spec, key, run, direction)
        bound = (key, run.optimizer, direction, trial_id)
        outcome = _train(sessions, spec, run, key, trial_id, values, direction)
    except AttemptSuperseded:
        log.warning("trial run %s: a newer attempt took over; this one stops", run_id)
        return "superseded"
    except RunCancelled:
        outcome = Outcome("cancelled")
    except ArtifactStoreUnavailable as error:
        log.error("trial run %s: %s", run_id, error)
        outcome = Outcome("failed", error=str(error))
    except Exception:
        log.exception("trial run %s failed", run_id)
        outcome = Outcome("failed", error=traceback.format_exc(limit=5))
    if bound is not None:  # before the platform settles it: a repeated tell is a no-op
        search.tell(url_of(sessions), *bound, outcome.state, outcome.value)
    return finish_trial(sessions, run_id, attempt, outcome)


def _train(
    sessions: Sessions,
    spec: TuningSpec,
    run: Run,
    experiment: StudyKey,
    trial_id: int,
    values: dict[str, Any],
    direction: str,
) -> Outcome:
    experiment_id = experiment[0]
    optimizer = next(o for o in spec.optimizers if o.key == run.optimizer)
    task, data = task_and_data(spec.task, tuple(sorted(spec.task_options.items())))
    # The objective is measured on a split of the training data; the test set is never read.
    split = validation_split(data, spec.tuning.validation_fraction, seed=spec.seed)
    budget = (
        Budget(epochs=spec.budget.epochs)
        if isinstance(spec.budget, EpochBudget)
        else Budget(gradient_evaluations=spec.budget.gradient_evaluations)
    )
    config = TrajectoryConfig(
        optimizer=optimizer.optimizer,
        hyperparameters=values,
        # every trial of an optimizer starts from the same weights and data order
        seeds=trajectory_seeds(spec.seed, optimizer.key, 0),
        budget=budget,
        batch_size=spec.batch_size,
        evaluate_every=spec.evaluate_every,
        device=resolve_device(spec.device),
        mixed_precision=spec.mixed_precision,
    )
    runner = TrajectoryRunner(task, split, config)
    tuning = spec.tuning
    pruner = (
        search.median_pruner(
            tuning.pruner_startup_trials,
            tuning.pruner_warmup_evaluations * runner.evaluate_interval,
        )
        if tuning.pruner == "median"
        else None
    )
    optuna = url_of(sessions)  # Optuna's storage opens its own connections
    study = search.open_study(optuna, experiment, optimizer.key, direction, pruner=pruner)
    handle = search.TrialHandle(study, trial_id, search.storage(optuna))
    column = objective_of(spec.task, tuning)
    artifacts = TrajectoryArtifacts(
        sessions=sessions,
        store=artifact_store(get_settings()),
        experiment_id=experiment_id,
        run_id=run.id,
        attempt=run.attempts,
        keep_models="none",
        population_size=1,
        metric=task_metric(spec.task, None if column == LOSS else column),
        model_info={"task": spec.task, "optimizer": run.optimizer, "trial": run.trajectory},
    )
    persist = persist_evaluations(sessions, run.id, experiment_id, runner, artifacts)

    def on_evaluation(record: Any, checkpoint: bytes) -> None:
        persist(record, checkpoint)
        if pruner is None:  # nothing reads Optuna's intermediate values but a pruner
            return
        value = objective_value(record.metrics, record.test_loss, column)
        if record.step > 0 and not record.diverged and value is not None:
            handle.report(float(value), record.step)
            if handle.should_prune():
                raise Pruned

    runner.on_evaluation = on_evaluation
    try:
        with heartbeat(sessions, run.id):
            # a resumed trial: what it reported before the kill, and the pruner's verdict
            reported = _reported(sessions, run.id, column) if pruner else []
            for step, value in reported:
                handle.report(value, step)
            if reported and handle.should_prune():
                raise Pruned
            try:
                runner.run(checkpoint=artifacts.restore())
            except UnreadableCheckpoint as error:
                artifacts.forget_checkpoint(f"checkpoint does not load ({error})")
                runner.run()
    except Pruned:
        outcome = _outcome(sessions, run.id, column, direction, "pruned")
    else:
        outcome = _outcome(sessions, run.id, column, direction, "complete")
    artifacts.release_checkpoint(keep=False)
    return outcome


def _reported(sessions: Sessions, run_id: int, column: str) -> list[tuple[int, float]]:
    """The objective at each stored evaluation point after step 0, by step."""
    with sessions() as session:
        stored = session.execute(
            select(ModelRecord.step, ModelRecord.metrics, ModelRecord.test_loss)
            .where(
                ModelRecord.run_id == run_id,
                ModelRecord.step > 0,
                ModelRecord.diverged.is_(False),
            )
            .order_by(ModelRecord.step)
        ).all()
    rows = [(step, objective_value(metrics, loss, column)) for step, metrics, loss in stored]
    return [(step, float(value)) for step, value in rows if value is not None]


def _outcome(sessions: Sessions, run_id: int, column: str, direction: str, state: str) -> Outcome:
    """The trial's value (its best objective over the trajectory, the untrained model
    left out), spend, and whether it diverged — from the stored records, so a resumed
    trial is scored on all of them."""
    with sessions() as session:
        stored = session.execute(
            select(
                ModelRecord.step,
                ModelRecord.metrics,
                ModelRecord.test_loss,
                ModelRecord.gradient_evaluations,
                ModelRecord.diverged,
            )
            .where(ModelRecord.run_id == run_id)
            .order_by(ModelRecord.step)
        ).all()
    rows = [
        (step, objective_value(metrics, loss, column), spent, diverged)
        for step, metrics, loss, spent, diverged in stored
    ]
    spent = max((r[2] for r in rows), default=0)
    scores = [float(r[1]) for r in rows if r[0] > 0 and not r[3] and r[1] is not None]
    scores = [s for s in scores if math.isfinite(s)]
    diverged = next((r[0] for r in rows if r[3]), None)
    if diverged is not None:
        return Outcome("failed", gradient_evaluations=spent, error=f"diverged at step {diverged}")
    if not scores:
        return Outcome("failed", gradient_evaluations=spent, error="no evaluation after step 0")
    best = max(scores) if direction == "higher" else min(scores)
    return Outcome(state, best, spent)


def finish_trial(sessions: Sessions, run_id: int, attempt: int, outcome: Outcome) -> str:
    """Finish the run and settle its trial in one transaction (only while the run is
    still this attempt's) and plan the trials the budget now allows, which then wait for
    their turn in the broker's window."""
    created = with_retries(
        lambda: _settle(sessions, run_id, attempt, outcome), what=f"finishing trial {run_id}"
    )
    if created is None:
        return "superseded"
    if created:
        top_up(sessions)
    return outcome.state


def _settle(
    sessions: Sessions, run_id: int, attempt: int, outcome: Outcome
) -> list[tuple[int, str, str]] | None:
    status = {
        "complete": Status.succeeded,
        "pruned": Status.succeeded,
        "cancelled": Status.cancelled,
    }.get(outcome.state, Status.failed)
    values: dict[str, Any] = {"status": status, "finished_at": utcnow()}
    if status == Status.succeeded:
        values["progress"] = 1.0
    if outcome.error and outcome.state == "failed" and "\n" in outcome.error:
        values["traceback"] = outcome.error
    claimed = [
        Run.id == run_id,
        Run.status.in_([Status.queued, Status.running]),
        Run.attempts == attempt,
    ]
    with sessions() as session:
        experiment_id = session.scalar(select(Run.experiment_id).where(*claimed))
        if experiment_id is None:
            return None
        # the study's lock first: planning the next trials must see this one settled
        session.execute(
            select(Experiment.id).where(Experiment.id == experiment_id).with_for_update()
        )
        if not session.execute(
            update(Run)
            .where(*claimed)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount:
            session.rollback()
            return None
        trial = session.scalar(select(TuningTrial).where(TuningTrial.run_id == run_id))
        assert trial is not None
        settle(
            trial,
            outcome.state,
            value=outcome.value,
            gradient_evaluations=outcome.gradient_evaluations,
            error=outcome.error,
        )
        if outcome.state == "failed" and outcome.error:
            session.execute(update(Run).where(Run.id == run_id).values(error=trial.error))
        session.flush()
        refresh_status(session, experiment_id)
        created = [
            (r.id, r.queue, "tuning" if r.experiment_id == experiment_id else "training")
            for r in new_runs(session)
        ]
        session.commit()
        return created
