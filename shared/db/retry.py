"""Riding out a database restart: retry a unit of work on connection errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")


def _transient(error: Exception) -> bool:
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def with_retries(work: Callable[[], T], *, seconds: float = 60.0, what: str = "") -> T:
    """Call ``work`` (which opens its own session and commits) until it succeeds, retrying
    connection errors with backoff for up to ``seconds``; other errors pass through."""
    deadline = time.monotonic() + seconds
    delay = 0.2
    while True:
        try:
            return work()
        except Exception as error:
            if not _transient(error) or time.monotonic() + delay > deadline:
                raise
            log.warning("database unavailable (%s); retrying in %.1f s", what, delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
