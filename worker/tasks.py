"""Celery tasks: IDs in, the work done by functions that know nothing about Celery."""

from __future__ import annotations

from typing import Any

from celery.signals import beat_init, worker_init, worker_process_init, worker_ready

from shared.config import get_settings
from shared.db.session import session_scope
from shared.optim.plugins import discover_for as discover_optimizers
from shared.reconcile import reconcile
from worker.app import app
from worker.dispatch import send_marked, top_up
from worker.inflight import runs_in_flight
from worker.jobs import run_landscape
from worker.lifetime import child_dies_with_worker, remember_worker_pid

RECONCILE = "optbench.reconcile"


@app.task(name="optbench.run_landscape", acks_late=True)
def run_landscape_task(run_id: int) -> str:
    return run_landscape(get_settings().database_url, run_id)


@app.task(name="optbench.run_training", acks_late=True)
def run_training_task(run_id: int) -> str:
    from worker.training import run_training  # torch and the tasks load only here

    return run_training(get_settings().database_url, run_id)


@app.task(name="optbench.run_trial", acks_late=True)
def run_trial_task(run_id: int) -> str:
    from worker.trials import run_trial  # torch, the tasks and Optuna load only here

    return run_trial(get_settings().database_url, run_id)


@app.task(name=RECONCILE)
def reconcile_task() -> dict[str, Any]:
    """Send again every run the database says should be running but no worker holds,
    then top up the broker's window (the trials a study planned once a trial given up
    on was settled wait there too)."""
    settings = get_settings()
    in_flight = runs_in_flight(settings)  # before the rows: a run sent since is not stale
    with session_scope(settings.database_url) as session:
        outcome = reconcile(
            session,
            stale_after=settings.stale_after_seconds,
            max_attempts=settings.max_attempts,
            in_flight=in_flight,
        )
        resend, failed = outcome.sent, [r.id for r in outcome.failed]
    send_marked(resend)  # after the commit, so workers see the rows
    return {"resent": [o.run for o in resend], "failed": failed, "sent": top_up()}


@worker_ready.connect
def reconcile_at_start(sender: Any = None, **_: Any) -> None:
    app.send_task(RECONCILE, queue="cpu")


@worker_init.connect
def _before_forking(**_: Any) -> None:
    remember_worker_pid()
    # Before the pool forks, so every process of this worker sees the same plugins.
    discover_optimizers(get_settings())
    _prepare_tuning_storage()


def _prepare_tuning_storage() -> None:
    """Optuna's tables, created once before the pool forks (see shared.tuning.storage)."""
    import logging

    from shared.tuning.storage import prepare

    try:
        prepare(get_settings().database_url)
    except Exception:  # a study's first trial creates them then; nothing is lost
        logging.getLogger(__name__).warning("Optuna's tables not prepared", exc_info=True)


@worker_process_init.connect
@beat_init.connect
def _die_with_worker(**_: Any) -> None:
    # Pool processes and the embedded beat die with the worker, which dies with
    # `optbench serve` (it is started with the parent-death signal set).
    child_dies_with_worker()
