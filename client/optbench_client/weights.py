"""Kept models through the API: download safetensors files, read them without PyTorch,
rebuild modules where the server's package is installed."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
import numpy as np

from optbench_client.errors import ApiError, OptbenchError
from optbench_client.transport import answer_error

if TYPE_CHECKING:
    from torch import nn

#: The key under which the server stores task, options and origin in the file's metadata.
METADATA_KEY = "optbench"

#: safetensors dtypes as numpy dtypes (little-endian, as the format stores them).
DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
}


class DownloadedModel(NamedTuple):
    """One kept model: its ``state_dict`` (parameter and buffer names → numpy arrays),
    the ``metadata`` the server stored with it (task, task options, number of labels,
    origin), and where the file was written (None when it was not kept)."""

    state_dict: dict[str, np.ndarray]
    metadata: dict[str, Any]
    path: Path | None


def read_safetensors(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """A safetensors file as numpy arrays and its metadata (the ``optbench`` entry
    decoded from JSON, other entries as stored). bfloat16 tensors come back as float32,
    which holds every bfloat16 value exactly."""
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
        data = file.read()
    metadata: dict[str, Any] = dict(header.pop("__metadata__", None) or {})
    if METADATA_KEY in metadata:
        metadata.update(json.loads(metadata.pop(METADATA_KEY)))
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        raw = data[start:end]
        if entry["dtype"] == "BF16":
            halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            array = halves.view(np.float32)
        elif entry["dtype"] in DTYPES:
            array = np.frombuffer(raw, dtype=DTYPES[entry["dtype"]]).copy()
        else:
            raise OptbenchError(f"{os.fspath(path)}: {name} has dtype {entry['dtype']}")
        tensors[name] = array.reshape(entry["shape"])
    return tensors, metadata


class KeptModels:
    """Mixed into ``Client``: needs its ``http`` client, ``url`` and ``_call``."""

    http: httpx.Client
    url: str

    def _call(self, call: Any) -> Any:  # pragma: no cover - defined by the client
        raise NotImplementedError

    def save_model(
        self,
        experiment_id: int,
        optimizer: str,
        trajectory: int,
        step: int,
        destination: str | os.PathLike[str],
    ) -> Path:
        """Stream one kept model to ``destination`` (a file, or a directory to put it
        in under the server's name), checking its SHA-256; returns the file's path."""
        if not getattr(self, "_version_checked", True):
            self.check_server()  # type: ignore[attr-defined]
        url = f"/experiments/{experiment_id}/models/{optimizer}/{trajectory}/{step}"
        with self.http.stream("GET", url) as response:
            if response.status_code >= 400:
                response.read()
                raise answer_error(response, self.url)
            target = Path(destination)
            if target.is_dir():
                target = target / filename_of(response, experiment_id, optimizer, trajectory, step)
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

    def download_model(
        self,
        experiment_id: int,
        optimizer: str,
        trajectory: int,
        step: int,
        destination: str | os.PathLike[str] | None = None,
    ) -> DownloadedModel:
        """One kept model's weights as numpy arrays and its metadata; no PyTorch
        needed. With ``destination`` the file is kept there too."""
        if destination is not None:
            path = self.save_model(experiment_id, optimizer, trajectory, step, destination)
            return DownloadedModel(*read_safetensors(path), path)
        with tempfile.TemporaryDirectory(prefix="optbench-model-") as directory:
            path = self.save_model(
                experiment_id, optimizer, trajectory, step, Path(directory) / "model.safetensors"
            )
            return DownloadedModel(*read_safetensors(path), None)

    def load_model(
        self, experiment_id: int, optimizer: str, trajectory: int, step: int
    ) -> nn.Module:
        """A ready ``torch.nn.Module`` (eval mode, CPU) with the weights of one kept model,
        built through the task registry from the experiment's task and options. Needs the
        server's package (PyTorch and the tasks); ``download_model`` does not."""
        try:
            from shared.artifacts.weights import build_model
        except ImportError:
            raise OptbenchError(
                "load_model builds the task's PyTorch model, which needs the optbench "
                "package (pip install optbench, with PyTorch); download_model gives the "
                "weights as numpy arrays without it"
            ) from None
        spec = self.experiment(experiment_id).spec  # type: ignore[attr-defined]
        with tempfile.TemporaryDirectory(prefix="optbench-model-") as directory:
            path = self.save_model(
                experiment_id, optimizer, trajectory, step, Path(directory) / "model.safetensors"
            )
            return build_model(path, spec["task"], spec.get("task_options", {}))


def filename_of(
    response: httpx.Response, experiment_id: int, optimizer: str, trajectory: int, step: int
) -> str:
    disposition = response.headers.get("Content-Disposition", "")
    if 'filename="' in disposition:
        name = disposition.split('filename="', 1)[1].split('"', 1)[0]
        if name and "/" not in name and not name.startswith("."):
            return name
    return f"experiment-{experiment_id}-{optimizer}-{trajectory}-step-{step}.safetensors"
