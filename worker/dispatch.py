"""The worker's side of the broker's window (shared/dispatch.py): a worker that claims a
run frees a place in the window and fills it, so the next runs go out in fair-share
order as fast as the workers take them; the reconciler's tick fills it too."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from shared.config import get_settings
from shared.db.session import Sessions, url_of
from shared.dispatch import Outgoing, Publish, deliver, fill_window, publisher

log = logging.getLogger(__name__)


def _publish() -> Publish:
    from worker.app import app  # the worker's own Celery application

    return publisher(app)


def top_up(sessions: Sessions) -> int:
    """Send the next runs that fit in the window; never raises (a failure leaves the
    runs waiting in the database for the next top-up).

    Only for this worker's own database: its broker is the one this worker's Celery
    application sends to; a job run on another database (from a test, in process)
    sends nothing there."""
    settings = get_settings()
    try:
        if url_of(sessions) != settings.database_url:
            return 0
        return fill_window(sessions, settings.queue_window, _publish())
    except Exception:
        log.warning("the broker's window was not topped up", exc_info=True)
        return 0


def send_marked(sessions: Sessions, outgoing: Sequence[Outgoing]) -> int:
    """Send runs already marked sent (the reconciler's), after their commit."""
    return deliver(sessions, outgoing, _publish())
