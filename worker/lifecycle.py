"""A run's life in a worker, whatever its kind (the jobs: worker/landscape.py,
worker/training.py, worker/trials.py): claim it by ID, beat while it computes, report
progress, note where its optimizer and task came from, persist each evaluation point
with its checkpoint, finish it.

Idempotent: a run already finished is left alone, results are inserted once (``ON
CONFLICT DO NOTHING``), and finishing is a compare-and-set on the run and the attempt
that claimed it, so a worker that lost its run to another one (it went quiet and the run
was taken over) cannot overwrite it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from shared.config import get_settings
from shared.db.base import Base, utcnow
from shared.db.models import Experiment, ModelRecord, Run, Status
from shared.db.retry import with_retries
from shared.db.session import Sessions
from shared.db.upsert import column_values, insert_once
from shared.experiments import refresh_status
from shared.failures import split_failure
from shared.instances import process_instance
from shared.optim.declarations import OptimizerDeclaration, UnknownOptimizerError, declaration
from shared.tasks.catalog import task_origin
from worker.dispatch import top_up

if TYPE_CHECKING:  # torch: loaded by the training and tuning jobs only
    from shared.artifacts.trajectory import TrajectoryArtifacts
    from shared.protocol.runner import TrajectoryRunner

log = logging.getLogger(__name__)


class RunCancelled(Exception):
    """The experiment was cancelled while this run was computing."""


def worker_optimizer(sessions: Sessions, run: Run, optimizer: str) -> OptimizerDeclaration:
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
        with sessions() as session:
            row = session.get(Run, run.id)
            if row is not None:
                row.optimizer_origin = declared.origin.as_dict()
                session.commit()

    with_retries(record, what=f"run {run.id} optimizer origin")
    return declared


def claim_run(sessions: Sessions, run_id: int) -> tuple[Run, Experiment] | str:
    """Claim the run (row lock): refuse one that is finished, or running elsewhere with a
    fresh heartbeat; take over one whose worker went quiet; count the attempt. Then top
    up the broker's window, which the run has left."""
    claimed = _claim(sessions, run_id)
    top_up(sessions)
    return claimed


def _claim(sessions: Sessions, run_id: int) -> tuple[Run, Experiment] | str:
    settings = get_settings()
    with sessions() as session:
        run = session.get(Run, run_id, with_for_update=True)
        if run is None:
            return "missing"
        if run.status.terminal:
            return f"already {run.status}"
        if (
            run.status == Status.running
            and run.heartbeat_at is not None
            and (utcnow() - run.heartbeat_at < timedelta(seconds=settings.stale_after_seconds))
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
def heartbeat(sessions: Sessions, run_id: int) -> Iterator[None]:
    """Stamp the run every ``heartbeat_seconds`` while it computes, from a thread, so a
    long epoch between two evaluation points does not look like a dead worker."""
    stop = threading.Event()
    every = get_settings().heartbeat_seconds

    def beat() -> None:
        while not stop.wait(every):
            try:
                with sessions() as session:
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
    sessions: Sessions,
    run_id: int,
    status: Status,
    error: str | None = None,
    result: Base | None = None,
    *,
    attempt: int | None = None,
) -> bool:
    """Record the run's final status (and its result row, such as a landscape's, inserted
    once), retrying a lost database.

        ``error`` may be a whole traceback: readers see its last line, admins the rest.
        With ``attempt`` (the claimed run's ``attempts``) the write happens only if the run
        is still that attempt and not finished; returns whether it happened.
    """
    return with_retries(
        lambda: _record_finish(sessions, run_id, status, error, result, attempt),
        what=f"finishing run {run_id}",
    )


def _record_finish(
    sessions: Sessions,
    run_id: int,
    status: Status,
    error: str | None,
    result: Base | None,
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
    with sessions() as session:
        experiment_id = session.scalar(select(Run.experiment_id).where(*claimed))
        if experiment_id is None:  # deleted, finished by another attempt, or taken over
            log.warning(
                "run %s (attempt %s) is no longer this worker's; not finished", run_id, attempt
            )
            return False
        if result is not None:
            insert_once(
                session, type(result), {**column_values(result), "run_id": run_id}, ["run_id"]
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


def progress_reporter(sessions: Sessions, run_id: int, experiment_id: int):  # type: ignore[no-untyped-def]
    """What a job calls with its progress (0–1): stamped on the run with a heartbeat;
    :class:`RunCancelled` once its experiment is cancelled."""

    def report(fraction: float) -> None:
        with sessions() as session:
            run = session.get(Run, run_id)
            experiment = session.get(Experiment, experiment_id)
            if run is None or experiment is None or experiment.cancel_requested:
                raise RunCancelled
            run.progress, run.heartbeat_at = fraction, utcnow()
            session.commit()

    return report


def record_task_origin(sessions: Sessions, run_id: int, task: str) -> None:
    """Note on the run where its task came from here (a plugin's package and version),
    so its results stay attributable."""
    origin = task_origin(task).as_dict()

    def write() -> None:
        with sessions() as session:
            run = session.get(Run, run_id)
            if run is not None and run.task_origin != origin:
                run.task_origin = origin
                session.commit()

    with_retries(write, what=f"run {run_id} task origin")


def persist_evaluations(  # type: ignore[no-untyped-def]
    sessions: Sessions,
    run_id: int,
    experiment_id: int,
    runner: TrajectoryRunner,
    artifacts: TrajectoryArtifacts,
):
    """What the runner calls at each evaluation point (training runs and tuning trials):
    checkpoint file first, then the record and the checkpoint's key in one transaction."""

    def on_evaluation(record: Any, checkpoint: bytes) -> None:
        artifacts.write_checkpoint(record.step, checkpoint)
        try:
            with_retries(lambda: save(record), what=f"run {run_id} record")
        except BaseException:
            artifacts.discard()
            raise
        artifacts.committed()

    def save(record: Any) -> None:
        with sessions() as session:
            experiment = session.get(Experiment, experiment_id)
            run = session.get(Run, run_id)
            if experiment is None or run is None or experiment.cancel_requested:
                raise RunCancelled
            artifacts.apply(session, run)
            # a redelivered or racing attempt writes each record once
            insert_once(
                session, ModelRecord, {"run_id": run_id, **record.as_dict()}, ["run_id", "step"]
            )
            run.diverged = record.diverged
            run.heartbeat_at = utcnow()
            budget = runner.config.budget
            run.progress = min(
                1.0,
                (
                    record.gradient_evaluations / budget.gradient_evaluations
                    if budget.gradient_evaluations
                    else record.step / max(runner.total_steps or 1, 1)
                ),
            )
            session.commit()

    return on_evaluation


def release_checkpoint(artifacts: TrajectoryArtifacts | None) -> None:
    """A finished run needs no checkpoint (unless the settings keep final ones)."""
    if artifacts is not None:
        try:
            artifacts.release_checkpoint(keep=get_settings().keep_final_checkpoints)
        except Exception:  # the run's outcome is recorded; a leftover file is not fatal
            log.warning("run %s: checkpoint not released", artifacts.run_id, exc_info=True)
