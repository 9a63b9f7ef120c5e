"""Fixtures: tiny datasets in the published formats, and a guard against network access."""

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
def cifar10_dir(tmp_path: Path) -> Path:
    """20 training images (4 per batch file) and 6 test images."""
    return write_cifar10(tmp_path)


@pytest.fixture
def cifar100_dir(tmp_path: Path) -> Path:
    return write_cifar100(tmp_path)


@pytest.fixture
def goemotions_dir(tmp_path: Path) -> Path:
    return write_goemotions(tmp_path / "goemotions")


@pytest.fixture
def tweeteval_dir(tmp_path: Path) -> Path:
    return write_tweeteval(tmp_path / "tweeteval")
