"""Sending runs to workers by Celery job name (the API never imports the worker code)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import Celery

from shared.broker import job_name_for, transport_options
from shared.config import Settings
from shared.db.models import Run

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, settings: Settings) -> None:
        self.celery = Celery("optbench-api", broker=settings.broker_url)
        self.celery.conf.update(
            broker_connection_retry=False,
            broker_connection_max_retries=1,
            broker_transport_options=transport_options(settings),
        )

    def send(self, runs: Iterable[Run], kind: str) -> int:
        """Enqueue runs after their rows are committed; returns how many were sent.

        A broker that is down loses nothing: the runs stay ``queued`` in the database,
        which is the source of truth, and are sent again by whoever re-enqueues them.
        """
        sent = 0
        try:
            with self.celery.connection_for_write() as connection:
                for run in runs:
                    self.celery.send_task(
                        job_name_for(kind), args=[run.id], queue=run.queue, connection=connection
                    )
                    sent += 1
        except Exception:  # the broker's error types vary by transport
            log.exception("broker unavailable; %d run(s) left queued in the database", sent)
        return sent

    def reachable(self) -> bool:
        try:
            with self.celery.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
            return True
        except Exception:
            return False
