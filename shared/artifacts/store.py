"""The artifact store: checkpoints and kept model weights are files, rows hold their keys.

One class over any fsspec filesystem: a local directory (the embedded default,
``$OPTBENCH_HOME/artifacts``), a shared filesystem path, or ``s3://bucket/prefix`` on an
S3-compatible server (s3fs). Keys are relative, ``/``-separated paths under the store's
root; every write is atomic (a temporary file renamed into place locally, one PUT on S3),
so a reader sees either the old file, the new one, or none, never half a file.

Nothing here imports torch: the API process streams model files through this module.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import fsspec
from fsspec.implementations.local import LocalFileSystem

log = logging.getLogger(__name__)
T = TypeVar("T")

CHUNK_BYTES = 1 << 20
_KEY = re.compile(r"^[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*$")


class ArtifactStoreUnavailable(Exception):
    """The store could not be reached (or written) after retrying; the message says which
    store and why, without credentials."""


class ArtifactChecksumMismatch(Exception):
    """A file's SHA-256 differs from the one its row recorded: it is corrupt."""


@dataclass(frozen=True)
class StoredArtifact:
    """What a row records about a file: where it is, its SHA-256 (hex) and its size."""

    key: str
    sha256: str
    size: int


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_key(key: str) -> str:
    """``key`` unchanged if it is a relative path of plain segments (no ``..``, no
    leading ``/``); ``ValueError`` otherwise, so no key can leave the store's root."""
    if not _KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"artifact key {key!r} is not a relative path of plain names")
    return key


def redact(url: str) -> str:
    """A store URL fit for messages: credentials in ``user:secret@`` are dropped."""
    return re.sub(r"//[^/@]*@", "//", url)


class ArtifactStore:
    """Files by key under one fsspec URL.

    Args:
        url: a local path, ``file://…``, ``s3://bucket/prefix`` or any fsspec URL.
        storage_options: passed to the filesystem (e.g. ``{"endpoint_url": …}`` for an
            S3-compatible server; credentials come from the usual AWS variables).
        retries: attempts per operation on transient errors before
            :class:`ArtifactStoreUnavailable`; ``retry_seconds`` is the first back-off
            (doubled each time, at most 30 s).
    """

    def __init__(
        self,
        url: str,
        storage_options: dict[str, Any] | None = None,
        *,
        retries: int = 5,
        retry_seconds: float = 1.0,
    ) -> None:
        self.url = url
        self.retries = max(1, retries)
        self.retry_seconds = retry_seconds
        options = dict(storage_options or {})
        if url.startswith("s3://"):
            endpoint = options.pop("endpoint_url", None)
            if endpoint:
                options.setdefault("client_kwargs", {})["endpoint_url"] = endpoint
            # Fail fast on a dead endpoint: our own retries (with back-off) take over.
            options.setdefault("config_kwargs", {}).setdefault(
                "retries", {"max_attempts": 2, "mode": "standard"}
            )
            options["config_kwargs"].setdefault("connect_timeout", 5)
        self.fs, root = fsspec.core.url_to_fs(url, **options)
        self.local = isinstance(self.fs, LocalFileSystem)
        self.root = root.rstrip("/")
        if self.local:
            Path(self.root).mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"ArtifactStore({redact(self.url)!r})"

    def path(self, key: str) -> str:
        return f"{self.root}/{check_key(key)}"

    # -- retrying --------------------------------------------------------------------

    def retrying(self, work: Callable[[], T], what: str) -> T:
        """Call ``work`` until it succeeds, backing off on errors other than a missing
        file or a checksum mismatch (which retrying cannot mend)."""
        delay = self.retry_seconds
        for attempt in range(1, self.retries + 1):
            try:
                return work()
            except (FileNotFoundError, ArtifactChecksumMismatch, ValueError):
                raise
            except Exception as error:
                if attempt == self.retries:
                    raise ArtifactStoreUnavailable(
                        f"artifact store {redact(self.url)} unavailable ({what}) after "
                        f"{self.retries} attempts: {type(error).__name__}: {error}"
                    ) from error
                log.warning(
                    "artifact store: %s failed (%s); retrying in %.1f s", what, error, delay
                )
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")

    # -- writing ---------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes) -> StoredArtifact:
        """Write ``data`` at ``key`` atomically (replacing any file there)."""
        path = self.path(key)
        self.retrying(lambda: self._write(path, data), f"writing {key}")
        return StoredArtifact(key, sha256_of(data), len(data))

    def put_file(self, key: str, local_path: str | os.PathLike[str]) -> StoredArtifact:
        """Copy a local file to ``key`` atomically, hashing it on the way."""
        digest, size = hashlib.sha256(), 0
        with open(local_path, "rb") as source:
            while chunk := source.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
        path = self.path(key)
        self.retrying(lambda: self._copy(path, os.fspath(local_path)), f"writing {key}")
        return StoredArtifact(key, digest.hexdigest(), size)

    def _write(self, path: str, data: bytes) -> None:
        if not self.local:
            self.fs.pipe_file(path, data)  # one PUT: visible whole or not at all
            return
        temporary = self._temporary(path)
        try:
            with open(temporary, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)

    def _copy(self, path: str, source: str) -> None:
        if not self.local:
            self.fs.put_file(source, path)  # a single or multipart upload, atomic either way
            return
        temporary = self._temporary(path)
        try:
            with open(source, "rb") as reader, open(temporary, "wb") as writer:
                while chunk := reader.read(CHUNK_BYTES):
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)

    @staticmethod
    def _temporary(path: str) -> str:
        directory, name = os.path.split(path)
        os.makedirs(directory, exist_ok=True)
        return os.path.join(directory, f".{name}.{uuid.uuid4().hex}.partial")

    # -- reading ---------------------------------------------------------------------

    def read_verified(self, artifact: StoredArtifact) -> bytes:
        """The file's bytes; ``FileNotFoundError`` if it is gone and
        :class:`ArtifactChecksumMismatch` if its size or SHA-256 differ from the row's."""
        data = self.retrying(lambda: self.fs.cat_file(self.path(artifact.key)), artifact.key)
        if len(data) != artifact.size or sha256_of(data) != artifact.sha256:
            raise ArtifactChecksumMismatch(
                f"{artifact.key}: {len(data)} bytes with SHA-256 {sha256_of(data)[:12]}…, "
                f"expected {artifact.size} bytes with {artifact.sha256[:12]}…"
            )
        return data

    def open(self, key: str) -> IO[bytes]:
        """A binary file object for streaming (``FileNotFoundError`` if missing)."""
        return self.retrying(lambda: self.fs.open(self.path(key), "rb"), f"opening {key}")

    def iter_chunks(self, file: IO[bytes], chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        """Read an opened file in chunks and close it: memory stays at one chunk."""
        try:
            while chunk := file.read(chunk_bytes):
                yield chunk
        finally:
            file.close()

    def exists(self, key: str) -> bool:
        return bool(self.retrying(lambda: self.fs.exists(self.path(key)), f"looking up {key}"))

    # -- deleting --------------------------------------------------------------------

    def delete(self, key: str) -> None:
        """Remove one file; a missing one is not an error."""

        def remove() -> None:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self.path(key))

        self.retrying(remove, f"deleting {key}")

    def delete_prefix(self, prefix: str) -> None:
        """Remove every file under ``prefix`` (a key ending in ``/``)."""
        path = self.path(prefix.rstrip("/"))

        def remove() -> None:
            try:
                if self.fs.exists(path):
                    self.fs.rm(path, recursive=True)
            except FileNotFoundError:
                pass

        self.retrying(remove, f"deleting {prefix}")

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` (temporary files excluded), sorted."""
        base = self.path(prefix.rstrip("/")) if prefix else self.root

        def listing() -> list[str]:
            try:
                found = self.fs.find(base)
            except FileNotFoundError:
                return []
            root = self.root + "/"
            return sorted(
                n[len(root) :]
                for n in found
                if n.startswith(root) and not n.rsplit("/", 1)[-1].endswith(".partial")
            )

        return self.retrying(listing, f"listing {prefix or '/'}")
