"""Pool processes share the cores instead of each taking all of them."""

from __future__ import annotations

import os

import pytest
import torch

from worker.threads import POOL_PROCESSES, share_cores, threads_per_process


@pytest.mark.parametrize(
    ("cores", "processes", "threads"),
    [(2, 2, 1), (16, 4, 4), (16, 3, 5), (2, 8, 1), (8, 1, 8), (4, 0, 4)],
)
def test_each_process_gets_its_share(cores: int, processes: int, threads: int) -> None:
    assert threads_per_process(cores, processes) == threads


@pytest.fixture
def torch_threads():  # type: ignore[no-untyped-def]
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_a_pool_process_limits_torch_to_its_share(monkeypatch, torch_threads) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv(POOL_PROCESSES, "2")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(6)))
    assert share_cores() == 3
    assert torch.get_num_threads() == 3
    assert os.environ["OMP_NUM_THREADS"] == "3"  # for a torch imported after this


def test_an_explicit_setting_or_a_single_process_is_left_alone(monkeypatch, torch_threads) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(6)))
    torch.set_num_threads(2)
    monkeypatch.setenv(POOL_PROCESSES, "2")
    monkeypatch.setenv("OMP_NUM_THREADS", "6")
    assert share_cores() is None
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setenv(POOL_PROCESSES, "1")
    assert share_cores() is None
    assert torch.get_num_threads() == 2
