"""Sending runs to workers by Celery job name (the API never imports the worker code)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import Celery

from shared.broker import transport_options
from shared.config import Settings
from shared.db.session import session_factory
from shared.dispatch import Outgoing, deliver, fill_window, publisher

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, settings: Settings) -> None:
        self.celery = Celery("optbench-api", broker=settings.broker_url)
        self.celery.conf.update(
            broker_connection_retry=False,
            broker_connection_max_retries=1,
            broker_transport_options=transport_options(settings),
        )
        self.window = settings.queue_window
        self.sessions = session_factory(settings.database_url)
        self.publish = publisher(self.celery)

    def fill(self) -> int:
        """Top up the broker's window from the runs waiting in the database (after a
        commit that submitted, cancelled or deleted runs); returns how many were sent.

        A broker or database that is down loses nothing: the runs wait in the database,
        which is the source of truth, and go at the next top-up."""
        try:
            return fill_window(self.sessions, self.window, self.publish)
        except Exception:
            log.exception("the broker's window was not topped up; the runs wait")
            return 0

    def deliver(self, outgoing: Sequence[Outgoing]) -> int:
        """Send runs already marked sent (``shared.dispatch.mark_sent``), after their
        commit; those that cannot be sent wait for their turn again."""
        return deliver(self.sessions, outgoing, self.publish)

    def reachable(self) -> bool:
        try:
            with self.celery.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
            return True
        except Exception:
            return False
