"""The artifact store on a real local filesystem and on a real S3-compatible server:
atomic writes, verified reads, streaming, deletes, and an unreachable store."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest

from shared.artifacts import (
    ArtifactChecksumMismatch,
    ArtifactStore,
    ArtifactStoreUnavailable,
    StoredArtifact,
    artifact_store,
)
from shared.artifacts.store import check_key
from shared.config import Settings


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return ArtifactStore(str(tmp_path / "artifacts"))
    server = request.getfixturevalue("s3_server")
    bucket = server.bucket(f"b-{uuid.uuid4().hex[:10]}")
    return ArtifactStore(f"s3://{bucket}/lab", server.options, retries=2, retry_seconds=0)


def test_put_read_list_delete(store: ArtifactStore, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    stored = store.put_bytes("experiments/1/runs/2/attempt-1/checkpoint-000000010.pt", data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert store.read_verified(stored) == data
    source = tmp_path / "model.safetensors"
    source.write_bytes(b"weights" * 1000)
    model = store.put_file(
        "experiments/1/runs/2/attempt-1/models/step-000000010.safetensors", source
    )
    assert model.size == 7000
    assert store.list_keys("experiments/1/") == [stored.key, model.key]
    with store.open(model.key) as file:
        assert file.read() == source.read_bytes()
    chunks = list(store.iter_chunks(store.open(stored.key), chunk_bytes=1 << 20))
    assert len(chunks) == 4 and b"".join(chunks) == data
    store.put_bytes("experiments/3/other.pt", b"x")
    store.delete(stored.key)
    store.delete(stored.key)  # already gone: not an error
    assert not store.exists(stored.key)
    store.delete_prefix("experiments/1/")
    assert store.list_keys("experiments/1/") == [] and store.list_keys() == [
        "experiments/3/other.pt"
    ]


def test_overwrite_is_whole_and_corruption_is_detected(store: ArtifactStore) -> None:
    first = store.put_bytes("a/checkpoint.pt", b"one" * 100)
    second = store.put_bytes("a/checkpoint.pt", b"two" * 200)
    assert store.read_verified(second) == b"two" * 200
    with pytest.raises(ArtifactChecksumMismatch, match="expected 300 bytes"):
        store.read_verified(first)
    store.put_bytes("a/checkpoint.pt", b"one" * 99 + b"onf")  # same size, other bytes
    with pytest.raises(ArtifactChecksumMismatch):
        store.read_verified(first)
    with pytest.raises(FileNotFoundError):
        store.read_verified(StoredArtifact("a/gone.pt", first.sha256, first.size))
    assert store.list_keys() == ["a/checkpoint.pt"]  # no temporary file left behind


def test_local_writes_leave_no_partial_file_on_failure(tmp_path: Path, monkeypatch) -> None:
    store = ArtifactStore(str(tmp_path), retries=1)
    store.put_bytes("k/file.pt", b"old")

    def broken_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ArtifactStoreUnavailable, match="disk full"):
        store.put_bytes("k/file.pt", b"new")
    monkeypatch.undo()
    assert (tmp_path / "k" / "file.pt").read_bytes() == b"old"
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["file.pt"]


@pytest.mark.parametrize("key", ["../escape", "/abs/path", "a/../../b", "a//b", "", "a/./b"])
def test_keys_cannot_leave_the_root(key: str) -> None:
    with pytest.raises(ValueError, match="artifact key"):
        check_key(key)


def test_unreachable_s3_fails_after_retries_with_a_clear_message() -> None:
    store = ArtifactStore(
        "s3://nowhere/prefix",
        {"endpoint_url": "http://127.0.0.1:9", "key": "k", "secret": "s"},
        retries=2,
        retry_seconds=0,
    )
    with pytest.raises(
        ArtifactStoreUnavailable, match=r"s3://nowhere/prefix unavailable .* 2 attempts"
    ):
        store.put_bytes("x.pt", b"data")


def test_settings_choose_the_store(tmp_path: Path) -> None:
    embedded = artifact_store(Settings(home=tmp_path))
    assert embedded.local and embedded.root == str(tmp_path / "artifacts")
    assert (tmp_path / "artifacts").is_dir()
    shared = artifact_store(Settings(home=tmp_path, artifact_url=str(tmp_path / "nfs")))
    assert shared.root == str(tmp_path / "nfs")
