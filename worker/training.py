"""Executing a training trajectory: one model record and one checkpoint per evaluation
point, committed together, so a worker killed at any moment loses at most the steps
since the last evaluation point and never writes a record twice."""

from __future__ import annotations

import logging
import traceback
from functools import lru_cache
from typing import Any

import torch

from shared.artifacts import ArtifactStoreUnavailable, artifact_store
from shared.artifacts.trajectory import AttemptSuperseded, TrajectoryArtifacts
from shared.artifacts.weights import UnreadableCheckpoint
from shared.config import get_settings
from shared.db.models import Run, Status
from shared.db.session import Sessions
from shared.deadline import run_time_limit
from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.protocol.sharpness import SharpnessSettings
from shared.spec import EpochBudget, TrainingSpec, parse_spec
from shared.tasks.base import Task, TaskData
from shared.tasks.catalog import task_declaration
from shared.tasks.options import TaskOptionError
from worker.lifecycle import (
    RunCancelled,
    claim_run,
    finish_run,
    heartbeat,
    persist_evaluations,
    record_task_origin,
    release_checkpoint,
    worker_optimizer,
)

log = logging.getLogger(__name__)


class TaskBuildError(Exception):
    """The task could not be built or its data loaded: one line, the run's error."""


@lru_cache(maxsize=4)
def task_and_data(name: str, options: tuple[tuple[str, Any], ...]) -> tuple[Task, TaskData]:
    """Tasks load once per worker process (datasets and tokenisers are not small).

    Whatever goes wrong — a plugin missing on this worker, options its own model refuses,
    a loader that raises — is a :class:`TaskBuildError` of one line (the traceback goes to
    the worker's log): a member sees the cause, never the plugin's stack.
    """
    from shared.tasks.registry import build_task

    try:
        task = build_task(name, dict(options))
        return task, task.load()
    except (FileNotFoundError, TaskOptionError) as error:
        # the data root's messages name path and format; option errors name the option
        raise TaskBuildError(" ".join(str(error).split())) from error
    except Exception as error:
        log.warning("task %r failed to build", name, exc_info=True)
        text = " ".join(str(error).split()) or type(error).__name__
        raise TaskBuildError(f"task {name!r} failed to build: {text}") from error


def resolve_device(requested: str) -> str:
    if requested == "cuda" or (requested == "auto" and torch.cuda.is_available()):
        return "cuda"
    return "cpu"


def trajectory_config(spec: TrainingSpec, optimizer_key: str, trajectory: int) -> TrajectoryConfig:
    optimizer = next(o for o in spec.optimizers if o.key == optimizer_key)
    budget = (
        Budget(epochs=spec.budget.epochs)
        if isinstance(spec.budget, EpochBudget)
        else Budget(gradient_evaluations=spec.budget.gradient_evaluations)
    )
    return TrajectoryConfig(
        optimizer=optimizer.optimizer,
        hyperparameters=dict(optimizer.hyperparameters),
        seeds=trajectory_seeds(spec.seed, optimizer.key, trajectory),
        budget=budget,
        batch_size=spec.batch_size,
        evaluate_every=spec.evaluate_every,
        device=resolve_device(spec.device),
        mixed_precision=spec.mixed_precision,
        sharpness=SharpnessSettings(
            iterations=spec.sharpness_iterations,
            batch_size=spec.sharpness_batch,
            min_eigenvalue=spec.sharpness_min_eigenvalue,
        )
        if spec.sharpness
        else None,
    )


def trajectory_artifacts(
    sessions: Sessions, spec: TrainingSpec, run: Run, experiment_id: int, num_labels: int
) -> TrajectoryArtifacts:
    """Where this attempt of the run keeps its checkpoint and models."""
    return TrajectoryArtifacts(
        sessions=sessions,
        store=artifact_store(get_settings()),
        experiment_id=experiment_id,
        run_id=run.id,
        attempt=run.attempts,
        keep_models=spec.keep_models,
        population_size=spec.population_size,
        metric=task_declaration(spec.task).metrics[0],
        model_info={
            "task": spec.task,
            "task_options": dict(spec.task_options),
            "num_labels": num_labels,
            "experiment": experiment_id,
            "optimizer": run.optimizer,
            "trajectory": run.trajectory,
        },
    )


def run_training(sessions: Sessions, run_id: int) -> str:
    """One trajectory, resumed from the run's checkpoint if it has one."""
    started = claim_run(sessions, run_id)
    if isinstance(started, str):
        return started
    run, experiment = started
    artifacts: TrajectoryArtifacts | None = None
    try:
        spec = parse_spec(experiment.spec, catalog=False)
        assert isinstance(spec, TrainingSpec) and run.trajectory is not None
        entry = next(o for o in spec.optimizers if o.key == run.optimizer)
        worker_optimizer(sessions, run, entry.optimizer)
        task, data = task_and_data(spec.task, tuple(sorted(spec.task_options.items())))
        record_task_origin(sessions, run_id, spec.task)
        config = trajectory_config(spec, run.optimizer, run.trajectory)
        runner = TrajectoryRunner(task, data, config)
        artifacts = trajectory_artifacts(sessions, spec, run, experiment.id, data.num_labels)
        runner.on_model = artifacts.offer_model
        runner.on_evaluation = persist_evaluations(
            sessions, run_id, experiment.id, runner, artifacts
        )
        limit = get_settings().run_time_limit
        with heartbeat(sessions, run_id), run_time_limit(limit):
            try:
                runner.run(checkpoint=artifacts.restore())
            except UnreadableCheckpoint as error:
                artifacts.forget_checkpoint(f"checkpoint does not load ({error})")
                runner.run()
    except AttemptSuperseded:
        log.warning("run %s: a newer attempt took over; this one stops", run_id)
        return "superseded"
    except ArtifactStoreUnavailable as error:
        log.error("run %s: %s", run_id, error)
        finish_run(sessions, run_id, Status.failed, str(error), attempt=run.attempts)
        return "failed"
    except RunCancelled:
        finish_run(sessions, run_id, Status.cancelled, attempt=run.attempts)
        release_checkpoint(artifacts)
        return "cancelled"
    except Exception as error:  # recorded on the run: the experiment says why it failed
        log.exception("run %s failed", run_id)
        reason = str(error) if isinstance(error, (FileNotFoundError, TaskBuildError)) else ""
        finish_run(
            sessions,
            run_id,
            Status.failed,
            reason or traceback.format_exc(limit=5),
            attempt=run.attempts,
        )
        release_checkpoint(artifacts)
        return "failed"
    if not finish_run(sessions, run_id, Status.succeeded, attempt=run.attempts):
        return "superseded"
    release_checkpoint(artifacts)
    return "succeeded"
