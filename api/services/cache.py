"""Answers computed from an experiment's results, kept per process while they cannot change.

A finished experiment's results never change: its keys carry the experiment's id,
creation time and finish time (so a deleted and re-used id, or a re-finished experiment,
never hits a stale entry) plus the query parameters. A running experiment's statistics
change only when a record arrives: :func:`state_key` adds its record count and last
record id, so a poll between two evaluation points is answered from the cache.

Concurrent requests for one missing key compute it once: the others wait for that answer
instead of loading the same records again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

from shared.db.models import Experiment

T = TypeVar("T")


class ResultCache:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.computations = 0
        """Answers computed (not found in the cache) since the process started."""
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            pending = self._pending.get(key)
            owner = pending is None
            if pending is None:
                pending = self._pending[key] = Future()
        if not owner:
            return pending.result()  # another request is computing it
        try:
            value = compute()  # outside the lock: a slow computation blocks no one else
        except BaseException as error:
            with self._lock:
                del self._pending[key]
            pending.set_exception(error)
            raise
        with self._lock:
            self.computations += 1
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            del self._pending[key]
        pending.set_result(value)
        return value


def experiment_key(experiment: Experiment, *parts: Hashable) -> tuple | None:
    """A cache key for a finished experiment's answer, or None while it can change."""
    if not experiment.status.terminal:
        return None
    return (experiment.id, experiment.created_at, experiment.finished_at, *parts)


def state_key(experiment: Experiment, records: tuple[int, ...], *parts: Hashable) -> tuple:
    """A cache key for an answer computed from the experiment's records, in any state:
    the experiment's identity and state, how far its records go (``records``: their
    count and last id, :func:`api.services.records.record_count`), and ``parts``."""
    return (
        experiment.id,
        experiment.created_at,
        str(experiment.status),
        experiment.finished_at,
        *records,
        *parts,
    )


def entity_tag(key: Hashable, version: str) -> str:
    """An HTTP entity tag (quoted) for the answer cached under ``key`` by this server
    ``version``."""
    return '"' + hashlib.sha256(repr((version, key)).encode()).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``tag`` (weak or strong, or ``*``)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def cached(cache: ResultCache, key: tuple | None, compute: Callable[[], T]) -> T:
    return compute() if key is None else cache.get(key, compute)
