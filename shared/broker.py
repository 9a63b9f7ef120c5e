"""Broker settings shared by the API (which sends) and the workers (which consume), and
the names of the Celery jobs they agree on.

A *Celery job* is a message a worker executes (run this run, reconcile); a *task*,
everywhere else in optbench, is a benchmark task (a data set and a model). The job names
are what the broker stores: they never change, so messages queued by an older version
still run after an upgrade.
"""

from __future__ import annotations

from typing import Any

from shared.config import Settings

#: The Celery job that executes one run, by the run's experiment kind. The API sends by
#: name and never imports the worker.
CELERY_JOBS = {
    "landscape": "optbench.run_landscape",
    "training": "optbench.run_training",
    "tuning": "optbench.run_trial",
}
#: The Celery job that sends again what the database says should run (shared.reconcile).
RECONCILE_JOB = "optbench.reconcile"


def job_name_for(kind: str) -> str:
    """The Celery job name that runs a run of an experiment of ``kind``."""
    return CELERY_JOBS[kind]


def transport_options(settings: Settings) -> dict[str, Any]:
    if settings.embedded:
        # Kombu's SQLAlchemy transport hands its options to create_engine, so its
        # polling interval cannot go there: it is a class attribute of the transport.
        from kombu.transport import sqlalchemy as sqla

        sqla.Transport.polling_interval = settings.broker_polling_interval
        return {}
    # Redis: a message not acknowledged within this time is delivered again (a worker
    # that died mid-run); long enough for the longest single run.
    return {"visibility_timeout": 6 * 3600}
