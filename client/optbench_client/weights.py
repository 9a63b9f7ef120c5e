"""Kept models through the API: list them, download safetensors files, rebuild modules."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pandas as pd

if TYPE_CHECKING:
    from torch import nn


def with_metric_columns(items: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of the API with their ``metrics`` object spread into one column per metric
    (``accuracy``, ``perplexity``…), after the fixed columns."""
    frame = pd.DataFrame(items)
    if "metrics" not in frame.columns:
        return frame
    metrics = pd.DataFrame.from_records([m or {} for m in frame.pop("metrics")], index=frame.index)
    return frame.join(metrics.drop(columns=[c for c in metrics if c in frame.columns]))


class KeptModels:
    """Mixed into ``Client``: needs its ``http`` client and ``_request``."""

    http: httpx.Client

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def models(self, experiment_id: int) -> pd.DataFrame:
        """Every kept model of the experiment: optimizer, trajectory, step, losses,
        metrics, size, SHA-256 and download URL."""
        items, offset = [], 0
        while True:
            page = self._request(
                "GET",
                f"/experiments/{experiment_id}/models",
                params={"limit": 10_000, "offset": offset},
            )
            items += page["items"]
            offset += len(page["items"])
            if offset >= page["total"] or not page["items"]:
                return with_metric_columns(items)

    def download_model(
        self,
        experiment_id: int,
        optimizer: str,
        trajectory: int,
        step: int,
        destination: str | os.PathLike[str],
    ) -> Path:
        """Stream one kept model to ``destination`` (a file, or a directory to put it
        in under the server's name), checking its SHA-256; returns the file's path."""
        from client.api import ApiError

        url = f"/experiments/{experiment_id}/models/{optimizer}/{trajectory}/{step}"
        with self.http.stream("GET", url) as response:
            if response.status_code >= 400:
                response.read()
                try:
                    detail = response.json().get("detail", response.text)
                except ValueError:
                    detail = response.text
                raise ApiError(response.status_code, detail)
            target = Path(destination)
            if target.is_dir():
                target = target / _filename(response, experiment_id, optimizer, trajectory, step)
            partial = target.with_name(f".{target.name}.partial")
            digest = hashlib.sha256()
            try:
                with open(partial, "wb") as file:
                    for chunk in response.iter_bytes(1 << 20):
                        digest.update(chunk)
                        file.write(chunk)
                expected = response.headers.get("X-Checksum-SHA256")
                if expected and digest.hexdigest() != expected:
                    raise ApiError(502, f"{url}: the download does not match its SHA-256")
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
        return target

    def load_model(
        self, experiment_id: int, optimizer: str, trajectory: int, step: int
    ) -> nn.Module:
        """A ready ``torch.nn.Module`` (eval mode, CPU) with the weights of one kept model,
        built through the task registry from the experiment's task and options."""
        from shared.artifacts.weights import build_model

        spec = self._request("GET", f"/experiments/{experiment_id}")["spec"]
        with tempfile.TemporaryDirectory(prefix="optbench-model-") as directory:
            path = self.download_model(
                experiment_id, optimizer, trajectory, step, Path(directory) / "model.safetensors"
            )
            return build_model(path, spec["task"], spec.get("task_options", {}))


def _filename(
    response: httpx.Response, experiment_id: int, optimizer: str, trajectory: int, step: int
) -> str:
    disposition = response.headers.get("Content-Disposition", "")
    if 'filename="' in disposition:
        name = disposition.split('filename="', 1)[1].split('"', 1)[0]
        if name and "/" not in name and not name.startswith("."):
            return name
    return f"experiment-{experiment_id}-{optimizer}-{trajectory}-step-{step}.safetensors"
