"""Artifacts: checkpoints and kept model weights as files in a store, keyed from rows.

:func:`artifact_store` opens the store the settings name. The modules that need torch
(:mod:`shared.artifacts.weights`) are imported by the worker and the client only.
"""

from __future__ import annotations

from functools import lru_cache

from shared.artifacts.layout import checkpoint_key, experiment_prefix, model_key
from shared.artifacts.store import (
    ArtifactChecksumMismatch,
    ArtifactStore,
    ArtifactStoreUnavailable,
    StoredArtifact,
)
from shared.config import Settings


def artifact_store(settings: Settings) -> ArtifactStore:
    """The store of ``settings`` (one instance per URL and options in a process)."""
    return _store(
        settings.artifact_url,
        settings.artifact_endpoint_url,
        settings.artifact_access_key_id,
        settings.artifact_secret_access_key,
        settings.artifact_retries,
        settings.artifact_retry_seconds,
    )


@lru_cache(maxsize=8)
def _store(
    url: str, endpoint_url: str, key: str, secret: str, retries: int, retry_seconds: float
) -> ArtifactStore:
    options: dict[str, str] = {}
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    if key or secret:
        options.update(key=key, secret=secret)
    return ArtifactStore(url, options, retries=retries, retry_seconds=retry_seconds)


__all__ = [
    "ArtifactChecksumMismatch",
    "ArtifactStore",
    "ArtifactStoreUnavailable",
    "StoredArtifact",
    "artifact_store",
    "checkpoint_key",
    "experiment_prefix",
    "model_key",
]
