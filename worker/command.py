"""The command lines that start workers (kept free of imports: no Celery app is built,
no torch), and the plan of one pinned worker process per GPU."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from worker.lifetime import DIE_WITH_PARENT


def worker_command(
    queues: str = "cpu,gpu",
    *,
    pool: str | None = None,
    concurrency: int | None = None,
    beat_schedule: Path | str | None = None,
    hostname: str | None = None,
) -> list[str]:
    """``python -m celery -A worker.app worker …``; with ``beat_schedule`` the worker also
    runs the reconciler's schedule (see shared/reconcile.py); ``hostname``: its Celery
    node name (``gpu0@%h``), which must differ between workers on one machine."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker.app",
        "worker",
        "-Q",
        queues,
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if pool is not None:
        command += ["--pool", pool]
    if concurrency is not None:
        command += ["--concurrency", str(concurrency)]
    if hostname is not None:
        command += ["--hostname", hostname]
    if beat_schedule is not None:
        command += ["--beat", "--schedule", str(beat_schedule)]
    return command


class GpuSelectionError(ValueError):
    """``--gpus`` names no device this machine shows (one line, for the command line)."""


@dataclass(frozen=True)
class WorkerProcess:
    """One worker process to start: its command line and the variables it gets on top
    of the starting process's environment."""

    name: str
    command: list[str]
    env: dict[str, str]


def visible_gpus(count: int, environ: Mapping[str, str]) -> list[str]:
    """The ``count`` CUDA devices this process sees, as ``CUDA_VISIBLE_DEVICES`` would name
    them to a child: indices (``0``, ``1``, …), or the entries of this process's own
    ``CUDA_VISIBLE_DEVICES`` (indices or UUIDs) when it is set."""
    inherited = environ.get("CUDA_VISIBLE_DEVICES")
    if inherited is None:
        return [str(index) for index in range(count)]
    return [entry.strip() for entry in inherited.split(",") if entry.strip()][:count]


def select_gpus(selection: str, visible: Sequence[str]) -> list[str]:
    """The devices ``--gpus`` names: ``all``, or comma-separated indices into ``visible``
    (``0,2``: the first and third device this process sees)."""
    if not visible:
        raise GpuSelectionError(
            f"--gpus {selection}: no CUDA device is visible on this machine "
            "(torch.cuda.device_count() is 0); start a CPU worker without --gpus"
        )
    if selection.strip() == "all":
        return list(visible)
    chosen: list[str] = []
    for entry in selection.split(","):
        entry = entry.strip()
        if not entry.isdigit():
            raise GpuSelectionError(
                f"--gpus {selection}: {entry!r} is not a device index; give `all` or "
                "indices such as 0,2"
            )
        index = int(entry)
        if index >= len(visible):
            raise GpuSelectionError(
                f"--gpus {selection}: no device {index}; this machine shows "
                f"{len(visible)} (0–{len(visible) - 1})"
            )
        if visible[index] in chosen:
            raise GpuSelectionError(f"--gpus {selection}: device {index} is named twice")
        chosen.append(visible[index])
    return chosen


def gpu_worker_plan(
    devices: Sequence[str | int],
    queues: str = "gpu",
    *,
    concurrency: int = 1,
    pool: str | None = None,
    device_order: str = "PCI_BUS_ID",
) -> list[WorkerProcess]:
    """One worker process per device, each pinned to it by ``CUDA_VISIBLE_DEVICES`` (so it
    sees its device as ``cuda:0``), named apart (``gpu0@host``), with ``concurrency`` runs
    at once (default one: a run has the device to itself), dying with the process that
    starts them. ``device_order``: how CUDA numbers the devices (default: PCI bus order,
    as ``nvidia-smi`` shows them; pass the starting process's own ``CUDA_DEVICE_ORDER``
    so its indices mean the same in every child)."""
    plan = []
    for device in map(str, devices):
        name = f"gpu{device}" if device.isdigit() else f"gpu-{device}"
        plan.append(
            WorkerProcess(
                name=name,
                command=worker_command(
                    queues, pool=pool, concurrency=concurrency, hostname=f"{name}@%h"
                ),
                env={
                    "CUDA_VISIBLE_DEVICES": device,
                    "CUDA_DEVICE_ORDER": device_order,
                    DIE_WITH_PARENT: "1",
                },
            )
        )
    return plan
