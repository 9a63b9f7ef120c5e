"""The Celery jobs a worker executes (their names: ``shared.broker``): run IDs in, the
work done by functions that know nothing about Celery."""

from __future__ import annotations

from functools import cache
from typing import Any

from celery.signals import beat_init, worker_init, worker_process_init, worker_ready

from shared.broker import CELERY_JOBS, RECONCILE_JOB
from shared.config import get_settings
from shared.db.session import Sessions, engine_for, session_factory
from shared.optim.plugins import discover_for as discover_optimizers
from shared.reconcile import reconcile
from worker.app import app
from worker.dispatch import send_marked, top_up
from worker.inflight import runs_in_flight
from worker.landscape import run_landscape
from worker.lifetime import child_dies_with_worker, remember_worker_pid
from worker.threads import remember_pool_size, share_cores


@cache
def worker_sessions() -> Sessions:
    """This worker process's session factory, made once, on its first job (in a pool
    process, after the fork), and handed to every job it runs."""
    return session_factory(get_settings().database_url)


@app.task(name=CELERY_JOBS["landscape"], acks_late=True)
def run_landscape_job(run_id: int) -> str:
    return run_landscape(worker_sessions(), run_id)


@app.task(name=CELERY_JOBS["training"], acks_late=True)
def run_training_job(run_id: int) -> str:
    from worker.training import run_training  # torch and the benchmark tasks load only here

    return run_training(worker_sessions(), run_id)


@app.task(name=CELERY_JOBS["tuning"], acks_late=True)
def run_trial_job(run_id: int) -> str:
    from worker.trials import run_trial  # torch, the benchmark tasks and Optuna load only here

    return run_trial(worker_sessions(), run_id)


@app.task(name=RECONCILE_JOB)
def reconcile_job() -> dict[str, Any]:
    """Send again every run the database says should be running but no worker holds,
    then top up the broker's window (the trials a study planned once a trial given up
    on was settled wait there too)."""
    settings = get_settings()
    in_flight = runs_in_flight(settings)  # before the rows: a run sent since is not stale
    with worker_sessions().begin() as session:  # commits at the end
        outcome = reconcile(
            session,
            stale_after=settings.stale_after_seconds,
            max_attempts=settings.max_attempts,
            in_flight=in_flight,
        )
        resend, failed = outcome.sent, [r.id for r in outcome.failed]
    send_marked(worker_sessions(), resend)  # after the commit, so workers see the rows
    return {"resent": [o.run for o in resend], "failed": failed, "sent": top_up(worker_sessions())}


@worker_ready.connect
def reconcile_at_start(sender: Any = None, **_: Any) -> None:
    app.send_task(RECONCILE_JOB, queue="cpu")


@worker_init.connect
def _before_forking(sender: Any = None, **_: Any) -> None:
    remember_worker_pid()
    remember_pool_size(getattr(sender, "concurrency", 1) or 1)
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
def _own_database_connections(**_: Any) -> None:
    # A pool process starts with a copy of the connections its parent pooled before the
    # fork (preparing Optuna's schema uses one); they stay the parent's, and this process
    # opens its own (SQLAlchemy's advice for forked processes).
    engine_for(get_settings().database_url).dispose(close=False)


@worker_process_init.connect
def _pool_process_started(**_: Any) -> None:
    share_cores()
    _die_with_worker()


@beat_init.connect
def _die_with_worker(**_: Any) -> None:
    # Pool processes and the embedded beat die with the worker, which dies with
    # `optbench serve` (it is started with the parent-death signal set).
    child_dies_with_worker()
