"""The Celery application. Broker from settings; the database is the source of truth,
so there is no result backend.

Start one with ``celery -A worker.app worker -Q cpu`` (or ``-Q gpu`` on a GPU host).
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import beat_init, before_task_publish, worker_init

from shared.broker import RECONCILE_JOB, transport_options
from shared.config import Settings, get_settings


def make_celery(settings: Settings) -> Celery:
    app = Celery("optbench", broker=settings.broker_url, include=["worker.celery_jobs"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,  # a killed worker's task goes back to the queue
        worker_prefetch_multiplier=1,
        task_default_queue="cpu",
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        broker_transport_options=transport_options(settings),
        # `celery beat` (or a worker started with -B) runs the reconciler periodically.
        beat_schedule={
            "reconcile": {
                "task": RECONCILE_JOB,
                "schedule": settings.reconcile_every_seconds,
                "options": {"queue": "cpu"},
            }
        },
    )
    return app


app = make_celery(get_settings())


@beat_init.connect
def _beat_started(**_: Any) -> None:
    from worker import liveness

    liveness.enable()


@before_task_publish.connect
def _beat_alive(**_: Any) -> None:
    # a no-op except in the beat process (see worker/liveness.py)
    from worker import liveness

    liveness.stamp()


@worker_init.connect
def _discover_task_plugins(**_: Any) -> None:
    """Describe the installed task plugins once, before the pool forks: refusals and
    unusable plugins are logged at start-up, and every child inherits the registry."""
    from shared.tasks.catalog import task_registry

    task_registry()
