"""Executing runs: load by ID, compute, persist. Idempotent: a run already finished is
left alone, results are inserted once (``ON CONFLICT DO NOTHING``), and finishing is a
compare-and-set on the run and the attempt that claimed it, so a worker that lost its
run to another one (it went quiet and the run was taken over) cannot overwrite it."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta

from sqlalchemy import select, update

from shared.config import get_settings
from shared.db.arrays import to_bytes
from shared.db.base import utcnow
from shared.db.models import Experiment, LandscapeResult, Run, Status
from shared.db.retry import with_retries
from shared.db.session import session_factory
from shared.db.upsert import column_values, insert_once
from shared.deadline import run_time_limit
from shared.experiments import refresh_status
from shared.failures import split_failure
from shared.instances import process_instance
from shared.landscapes.study import stationary_distribution
from shared.optim.declarations import OptimizerDeclaration, UnknownOptimizerError, declaration
from shared.spec import LandscapeSpec, parse_spec
from worker.dispatch import top_up

log = logging.getLogger(__name__)


class RunCancelled(Exception):
    """The experiment was cancelled while this run was computing."""


def worker_optimizer(database_url: str, run: Run, optimizer: str) -> OptimizerDeclaration:
    """``optimizer`` as this worker has it, its origin (a plugin's package and version)
    recorded on the run: the version that ran. A plugin this worker lacks is a one-line
    :class:`MissingPluginError` naming the package the API had."""
    from shared.optim.registry import MissingPluginError, torch_class, warm_up  # loads torch

    warm_up()  # before any run's time limit can interrupt torch's own lazy imports

    try:
        declared = declaration(optimizer)
        for part in (declared, declaration(declared.base) if declared.base else None):
            if part is not None and part.implementation != "native":
                torch_class(part)
    except UnknownOptimizerError as error:
        origin = run.optimizer_origin or {}
        package = (
            f" (package {origin['package']} {origin.get('version') or ''}".rstrip() + ")"
            if origin.get("package")
            else ""
        )
        raise MissingPluginError(
            f"optimizer {optimizer!r}{package} is not installed on this worker ({error}); "
            "install it on every worker and restart them"
        ) from None

    def record() -> None:
        with session_factory(database_url)() as session:
            row = session.get(Run, run.id)
            if row is not None:
                row.optimizer_origin = declared.origin.as_dict()
                session.commit()

    with_retries(record, what=f"run {run.id} optimizer origin")
    return declared


def claim_run(database_url: str, run_id: int) -> tuple[Run, Experiment] | str:
    """Claim the run (row lock): refuse one that is finished, or running elsewhere with a
    fresh heartbeat; take over one whose worker went quiet; count the attempt. Then top
    up the broker's window, which the run has left."""
    claimed = _claim(database_url, run_id)
    top_up(database_url)
    return claimed


def _claim(database_url: str, run_id: int) -> tuple[Run, Experiment] | str:
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
        run.error = run.traceback = None
        run.worker_instance = process_instance(settings.instance_id)
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
    *,
    attempt: int | None = None,
) -> bool:
    """Record the run's final status (and a landscape's result), retrying a lost database.

    ``error`` may be a whole traceback: readers see its last line, admins the rest.
    With ``attempt`` (the claimed run's ``attempts``) the write happens only if the run
    is still that attempt and not finished; returns whether it happened.
    """
    return with_retries(
        lambda: _record_finish(database_url, run_id, status, error, result, attempt),
        what=f"finishing run {run_id}",
    )


def _record_finish(
    database_url: str,
    run_id: int,
    status: Status,
    error: str | None,
    result: LandscapeResult | None,
    attempt: int | None,
) -> bool:
    values: dict = {"status": status, "finished_at": utcnow(), "error": None, "traceback": None}
    if error is not None:
        values["error"], values["traceback"] = split_failure(error)
    if status == Status.succeeded:
        values["progress"] = 1.0
    claimed = [Run.id == run_id, Run.status.in_([Status.queued, Status.running])]
    if attempt is not None:
        claimed.append(Run.attempts == attempt)
    with session_factory(database_url)() as session:
        experiment_id = session.scalar(select(Run.experiment_id).where(*claimed))
        if experiment_id is None:  # deleted, finished by another attempt, or taken over
            log.warning(
                "run %s (attempt %s) is no longer this worker's; not finished", run_id, attempt
            )
            return False
        if result is not None:
            insert_once(
                session, LandscapeResult, {**column_values(result), "run_id": run_id}, ["run_id"]
            )
        updated = session.execute(
            update(Run)
            .where(*claimed)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not updated:  # lost a race between the read and the write
            session.rollback()
            return False
        refresh_status(session, experiment_id)
        session.commit()
        return True


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
    spec = parse_spec(experiment.spec, catalog=False)
    assert isinstance(spec, LandscapeSpec) and run.function is not None
    optimizer = next(o for o in spec.optimizers if o.key == run.optimizer)
    began = time.perf_counter()
    try:
        worker_optimizer(database_url, run, optimizer.optimizer)
        with heartbeat(database_url, run_id), run_time_limit(get_settings().run_time_limit):
            outcome = stationary_distribution(
                run.function,
                optimizer.optimizer,
                restarts=spec.restarts,
                iterations=spec.iterations,
                overrides={optimizer.optimizer: optimizer.hyperparameters},
                capture_radius=spec.capture_radius,
                seed=spec.seed,
                path_points=spec.path_points,
                on_progress=_reporter(database_url, run_id, experiment.id),
            )
    except RunCancelled:
        finish_run(database_url, run_id, Status.cancelled, attempt=run.attempts)
        return "cancelled"
    except Exception:  # one line on the run for everyone; the traceback for admins
        log.exception("run %s failed", run_id)
        finish_run(
            database_url, run_id, Status.failed, traceback.format_exc(), attempt=run.attempts
        )
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
    if not finish_run(database_url, run_id, Status.succeeded, result=result, attempt=run.attempts):
        return "superseded"
    return "succeeded"
