"""Model weights as safetensors files, and checkpoints that load with ``weights_only``.

A kept model is its ``state_dict`` (parameters and buffers, e.g. BatchNorm statistics) in
the safetensors format — no pickle, so opening a downloaded file runs no code — with
what rebuilding it needs in the file's metadata (task, task options, number of labels,
where it came from). :func:`build_model` rebuilds a ready ``nn.Module`` through the task
registry.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_model, save_model
from torch import nn

METADATA_KEY = "optbench"


class UnreadableCheckpoint(Exception):
    """A checkpoint's bytes do not load as a weights-only checkpoint."""


def checkpoint_bytes(state: Mapping[str, Any]) -> bytes:
    """``state`` (tensors, numbers, strings, plain containers) as checkpoint bytes."""
    buffer = io.BytesIO()
    # The non-zip format: a fifth cheaper to write for small models, where a checkpoint
    # at every evaluation point is a visible share of the run; weights_only reads it too.
    torch.save(dict(state), buffer, _use_new_zipfile_serialization=False)
    return buffer.getvalue()


def load_checkpoint(data: bytes, device: torch.device | str = "cpu") -> dict[str, Any]:
    """The state :func:`checkpoint_bytes` wrote, loaded with ``weights_only=True`` (a
    checkpoint can hold no code); :class:`UnreadableCheckpoint` for anything else."""
    try:
        state = torch.load(io.BytesIO(data), map_location=device, weights_only=True)
    except Exception as error:  # torch raises pickle, runtime and zip errors alike
        raise UnreadableCheckpoint(f"checkpoint does not load: {error}") from error
    if not isinstance(state, dict):
        raise UnreadableCheckpoint(f"checkpoint holds a {type(state).__name__}, not a dict")
    return state


def save_weights(model: nn.Module, path: str | os.PathLike[str], info: Mapping[str, Any]) -> None:
    """Write ``model``'s state as safetensors at ``path``; ``info`` (JSON-able: task,
    task_options, num_labels, …) goes into the file's metadata."""
    save_model(model, os.fspath(path), metadata={METADATA_KEY: json.dumps(dict(info))})


def weights_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata :func:`save_weights` stored ({} for a file written elsewhere)."""
    with safe_open(os.fspath(path), framework="pt") as file:
        metadata = file.metadata() or {}
    return json.loads(metadata.get(METADATA_KEY, "{}"))


def build_model(
    path: str | os.PathLike[str],
    task: str | None = None,
    task_options: Mapping[str, Any] | None = None,
) -> nn.Module:
    """A ready model (eval mode, on the CPU) from a kept safetensors file: built through
    the task registry (``task`` and ``task_options`` default to the file's own), its
    weights loaded strictly."""
    from shared.tasks.registry import build_task

    info = weights_info(path)
    name = task or info.get("task")
    if not name or "num_labels" not in info:
        raise ValueError(f"{os.fspath(path)}: not an optbench model file (no task metadata)")
    options = dict(task_options if task_options is not None else info.get("task_options", {}))
    model = build_task(name, options).build_model(int(info["num_labels"]))
    load_model(model, os.fspath(path), strict=True)
    return model.eval()
