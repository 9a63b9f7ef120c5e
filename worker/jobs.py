"""Executing runs: load by ID, compute, persist. Idempotent: a run already finished is
left alone, and results are unique per run, so a redelivered message changes nothing."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta

from sqlalchemy import select

from shared.config import get_settings
from shared.db.arrays import to_bytes
from shared.db.base import utcnow
from shared.db.models import Experiment, LandscapeResult, Run, Status
from shared.db.retry import with_retries
from shared.db.session import session_factory
from shared.experiments import refresh_status
from shared.landscapes.study import stationary_distribution
from shared.spec import LandscapeSpec, parse_spec

log = logging.getLogger(__name__)


class RunCancelled(Exception):
    """The experiment was cancelled while this run was computing."""


def claim_run(database_url: str, run_id: int) -> tuple[Run, Experiment] | str:
    """Claim the run (row lock): refuse one that is finished, or running elsewhere with a
    fresh heartbeat; take over one whose worker went quiet; count the attempt."""
    settings = get_settings()
    with session_factory(database_url)() as session:
        run = session.get(Run, run_id, with_for_update=True)
        if run is None:
            return "missing"
        if run.status.terminal:
            return f"already {run.status}"
        heartbeat = run.heartbeat_at
        if heartbeat is not None and heartbeat.tzinfo is None:
            heartbeat = heartbeat.replace(tzinfo=UTC)
        if (
            run.status == Status.running
            and heartbeat is not None
            and (utcnow() - heartbeat < timedelta(seconds=settings.stale_after_seconds))
        ):
            return "running elsewhere"
        experiment = run.experiment
        if run.attempts >= settings.max_attempts:
            run.status, run.finished_at = Status.failed, utcnow()
            run.error = f"gave up after {run.attempts} attempts"
            refresh_status(session, experiment.id)
            session.commit()
            return "failed"
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


@contextmanager
def heartbeat(database_url: str, run_id: int) -> Iterator[None]:
    """Stamp the run every ``heartbeat_seconds`` while it computes, from a thread, so a
    long epoch between two evaluation points does not look like a dead worker."""
    stop = threading.Event()
    every = get_settings().heartbeat_seconds

    def beat() -> None:
        while not stop.wait(every):
            try:
                with session_factory(database_url)() as session:
                    run = session.get(Run, run_id)
                    if run is None or run.status != Status.running:
                        return
                    run.heartbeat_at = utcnow()
                    session.commit()
            except Exception:  # a database blip: the next beat tries again
                log.warning("heartbeat of run %s failed", run_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def finish_run(
    database_url: str,
    run_id: int,
    status: Status,
    error: str | None = None,
    result: LandscapeResult | None = None,
) -> None:
    """Record the run's final status (and a landscape's result), retrying a lost database."""
    with_retries(
        lambda: _record_finish(database_url, run_id, status, error, result),
        what=f"finishing run {run_id}",
    )


def _record_finish(
    database_url: str,
    run_id: int,
    status: Status,
    error: str | None,
    result: LandscapeResult | None,
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
    started = claim_run(database_url, run_id)
    if isinstance(started, str):
        return started
    run, experiment = started
    spec = parse_spec(experiment.spec)
    assert isinstance(spec, LandscapeSpec) and run.function is not None
    optimizer = next(o for o in spec.optimizers if o.key == run.optimizer)
    began = time.perf_counter()
    try:
        with heartbeat(database_url, run_id):
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
        finish_run(database_url, run_id, Status.cancelled)
        return "cancelled"
    except Exception:  # recorded on the run: the experiment says why it failed
        log.exception("run %s failed", run_id)
        finish_run(database_url, run_id, Status.failed, traceback.format_exc(limit=5))
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
    finish_run(database_url, run_id, Status.succeeded, result=result)
    return "succeeded"
