"""Executing runs: load by ID, compute, persist. Idempotent: a run already finished is
left alone, and results are unique per run, so a redelivered message changes nothing."""

from __future__ import annotations

import logging
import time
import traceback

from sqlalchemy import select

from shared.db.arrays import to_bytes
from shared.db.base import utcnow
from shared.db.models import Experiment, LandscapeResult, Run, Status
from shared.db.session import session_factory
from shared.experiments import refresh_status
from shared.landscapes.study import stationary_distribution
from shared.spec import LandscapeSpec, parse_spec

log = logging.getLogger(__name__)


class RunCancelled(Exception):
    """The experiment was cancelled while this run was computing."""


def _start(database_url: str, run_id: int) -> tuple[Run, Experiment] | str:
    with session_factory(database_url)() as session:
        run = session.get(Run, run_id)
        if run is None:
            return "missing"
        if run.status.terminal:
            return f"already {run.status}"
        experiment = run.experiment
        if experiment.cancel_requested:
            run.status, run.finished_at = Status.cancelled, utcnow()
            refresh_status(session, experiment.id)
            session.commit()
            return "cancelled"
        run.status = Status.running
        run.attempts += 1
        run.started_at = run.heartbeat_at = utcnow()
        run.error = None
        session.flush()
        refresh_status(session, experiment.id)
        session.commit()
        return run, experiment


def _finish(
    database_url: str,
    run_id: int,
    status: Status,
    error: str | None = None,
    result: LandscapeResult | None = None,
) -> None:
    with session_factory(database_url)() as session:
        run = session.get(Run, run_id)
        if run is None:  # the experiment was deleted meanwhile
            return
        if (
            result is not None
            and session.scalar(select(LandscapeResult.id).where(LandscapeResult.run_id == run_id))
            is None
        ):
            result.run_id = run_id
            session.add(result)
        run.status, run.error, run.finished_at = status, error, utcnow()
        if status == Status.succeeded:
            run.progress = 1.0
        session.flush()
        refresh_status(session, run.experiment_id)
        session.commit()


def _reporter(database_url: str, run_id: int, experiment_id: int):  # type: ignore[no-untyped-def]
    def report(fraction: float) -> None:
        with session_factory(database_url)() as session:
            run = session.get(Run, run_id)
            experiment = session.get(Experiment, experiment_id)
            if run is None or experiment is None or experiment.cancel_requested:
                raise RunCancelled
            run.progress, run.heartbeat_at = fraction, utcnow()
            session.commit()

    return report


def run_landscape(database_url: str, run_id: int) -> str:
    """One optimizer on one function: all restarts through the batched engine."""
    started = _start(database_url, run_id)
    if isinstance(started, str):
        return started
    run, experiment = started
    spec = parse_spec(experiment.spec)
    assert isinstance(spec, LandscapeSpec) and run.function is not None
    optimizer = next(o for o in spec.optimizers if o.key == run.optimizer)
    began = time.perf_counter()
    try:
        outcome = stationary_distribution(
            run.function,
            optimizer.name,
            restarts=spec.restarts,
            iterations=spec.iterations,
            overrides={optimizer.name: optimizer.hyperparameters},
            capture_radius=spec.capture_radius,
            seed=spec.seed,
            path_points=spec.path_points,
            on_progress=_reporter(database_url, run_id, experiment.id),
        )
    except RunCancelled:
        _finish(database_url, run_id, Status.cancelled)
        return "cancelled"
    except Exception:  # recorded on the run: the experiment says why it failed
        log.exception("run %s failed", run_id)
        _finish(database_url, run_id, Status.failed, traceback.format_exc(limit=5))
        return "failed"
    c = outcome.run.counters
    result = LandscapeResult(
        restarts=spec.restarts,
        iterations=spec.iterations,
        hyperparameters=outcome.hyperparameters,
        end_points=to_bytes(outcome.run.end_points, "f8"),
        last_iterates=to_bytes(outcome.run.last_iterates, "f8"),
        path=to_bytes(outcome.run.path, "f4"),
        path_iterations=[int(i) for i in outcome.run.path_iterations],
        gradient_evaluations=float(c.gradient_evaluations.mean()),
        loss_evaluations=float(c.loss_evaluations.mean()),
        seconds=time.perf_counter() - began,
    )
    _finish(database_url, run_id, Status.succeeded, result=result)
    return "succeeded"
