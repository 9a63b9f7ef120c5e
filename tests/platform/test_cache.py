"""Answers about finished experiments are computed once; running ones once per record
count; concurrent requests for one answer compute it once."""

from __future__ import annotations

import threading
import time

import pytest

from api.services.cache import ResultCache, cached, experiment_key, matches, state_key
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


def test_a_running_experiment_is_keyed_by_its_records() -> None:
    running = Experiment(id=1, status=Status.running)
    assert state_key(running, (10, 99), "view") != state_key(running, (11, 100), "view")
    assert state_key(running, (10, 99), "view") == state_key(running, (10, 99), "view")
    done = Experiment(id=1, status=Status.succeeded)
    assert state_key(done, (10, 99), "view") != state_key(running, (10, 99), "view")


def test_concurrent_requests_for_one_answer_compute_it_once() -> None:
    cache = ResultCache()
    started = threading.Event()
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return "answer"

    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.append(cache.get("k", compute))) for _ in range(8)
    ]
    threads[0].start()
    started.wait()
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["answer"] * 8 and calls == [1] and cache.computations == 1


def test_a_failed_computation_is_not_kept() -> None:
    cache = ResultCache()

    def fail() -> str:
        raise ValueError("no records yet")

    for _ in range(2):
        with pytest.raises(ValueError):
            cache.get("k", fail)
    assert cache.get("k", lambda: "now") == "now" and cache.computations == 1


def test_if_none_match() -> None:
    assert matches('"a"', '"a"') and matches('W/"a"', '"a"') and matches('"b", "a"', '"a"')
    assert matches("*", '"a"')
    assert not matches(None, '"a"') and not matches('"b"', '"a"') and not matches("", '"a"')
