"""Answers about finished experiments are computed once; running ones never cached."""

from __future__ import annotations

from api.services.cache import ResultCache, cached, experiment_key
from shared.db.models import Experiment, Status


def test_lru_eviction_and_reuse() -> None:
    cache = ResultCache(size=2)
    calls: list[str] = []

    def compute(name: str):  # type: ignore[no-untyped-def]
        return lambda: calls.append(name) or name

    assert cache.get("a", compute("a")) == "a"
    assert cache.get("a", compute("a")) == "a"
    cache.get("b", compute("b"))
    cache.get("c", compute("c"))  # evicts "a", the least recently used
    cache.get("a", compute("a"))
    assert calls == ["a", "b", "c", "a"]


def test_only_finished_experiments_get_keys() -> None:
    running = Experiment(id=1, status=Status.running)
    done = Experiment(id=1, status=Status.succeeded)
    assert experiment_key(running, "x") is None
    assert experiment_key(done, "x") == (1, None, None, "x")
    calls = []
    cache = ResultCache()
    for _ in range(2):
        cached(cache, None, lambda: calls.append(1))
    assert len(calls) == 2
