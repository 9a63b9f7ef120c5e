"""Results of finished experiments do not change: compute each answer once per process.

Keys carry the experiment's id, creation time and finish time (so a deleted and re-used
id, or a re-finished experiment, never hits a stale entry) plus the query parameters.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from shared.db.models import Experiment

T = TypeVar("T")


class ResultCache:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()  # outside the lock: a slow computation blocks no one else
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


def experiment_key(experiment: Experiment, *parts: Hashable) -> tuple | None:
    """A cache key for a finished experiment's answer, or None while it can change."""
    if not experiment.status.terminal:
        return None
    return (experiment.id, experiment.created_at, experiment.finished_at, *parts)


def cached(cache: ResultCache, key: tuple | None, compute: Callable[[], T]) -> T:
    return compute() if key is None else cache.get(key, compute)
