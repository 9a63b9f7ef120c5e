"""Fixtures: a data root with tiny datasets in the published formats, and a guard against
network access."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tasks.formats import write_cifar10, write_cifar100, write_goemotions, write_tweeteval


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if anything tries to open a connection.

    Refused connections are also recorded and checked afterwards, because transformers
    catches connection errors and turns them into its own. HF_HUB_OFFLINE is deliberately
    left unset: the loaders must stay offline by themselves.
    """
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise ConnectionRefusedError(f"network access attempted in a test: {args}")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield
    assert attempts == [], f"network access attempted: {attempts}"


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """An empty data root (what OPTBENCH_DATA_DIR points at)."""
    root = tmp_path / "data"
    root.mkdir()
    return root


@pytest.fixture
def cifar10_dir(data_root: Path) -> Path:
    """<root>/cifar10/: 20 training images (4 per batch file) and 6 test images."""
    return write_cifar10(data_root / "cifar10")


@pytest.fixture
def cifar100_dir(data_root: Path) -> Path:
    return write_cifar100(data_root / "cifar100")


@pytest.fixture
def goemotions_dir(data_root: Path) -> Path:
    return write_goemotions(data_root / "goemotions")


@pytest.fixture
def tweeteval_dir(data_root: Path) -> Path:
    return write_tweeteval(data_root / "tweeteval")
