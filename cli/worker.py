"""``optbench worker``: Celery worker processes for this machine, one pinned per GPU with
``--gpus``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Annotated

import typer

from cli.server import stop_worker
from worker.command import (
    GpuSelectionError,
    WorkerProcess,
    gpu_worker_plan,
    select_gpus,
    visible_gpus,
    worker_command,
)
from worker.lifetime import DIE_WITH_PARENT, die_with_parent


def cuda_device_count() -> int:
    """CUDA devices this process sees (0 without CUDA or without a CUDA build of torch)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def worker(
    gpus: Annotated[
        str | None,
        typer.Option(
            "--gpus",
            help="`all` or device indices (`0,2`): one worker process per GPU, each pinned "
            "to its device by CUDA_VISIBLE_DEVICES",
        ),
    ] = None,
    queues: Annotated[
        str | None,
        typer.Option("--queues", "-Q", help="queues to consume; default gpu with --gpus, else cpu"),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="runs at once per process; default 1 per GPU"),
    ] = None,
) -> None:
    """Run workers against the configured database and broker (OPTBENCH_DATABASE_URL,
    OPTBENCH_BROKER_URL) until stopped; with --gpus, one process per device, all stopped
    together (and each dies with this command, kill -9 included)."""
    if gpus is None:
        plan = [
            WorkerProcess(
                name="worker",
                command=worker_command(queues or "cpu", concurrency=concurrency),
                env={DIE_WITH_PARENT: "1"},
            )
        ]
    else:
        try:
            devices = select_gpus(gpus, visible_gpus(cuda_device_count(), os.environ))
        except GpuSelectionError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        plan = gpu_worker_plan(
            devices,
            queues or "gpu",
            concurrency=concurrency or 1,
            device_order=os.environ.get("CUDA_DEVICE_ORDER", "PCI_BUS_ID"),
        )
    raise typer.Exit(run_plan(plan))


def run_plan(plan: list[WorkerProcess]) -> int:
    """Start every process of ``plan`` and wait; when one ends, or on SIGTERM/SIGINT, stop
    them all (warm shutdown first). Returns the first exit status."""

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _exit)
    running: list[tuple[WorkerProcess, subprocess.Popen[bytes]]] = []
    try:
        for process in plan:
            child = subprocess.Popen(
                process.command,
                env={**os.environ, **process.env},
                start_new_session=True,
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
            running.append((process, child))
            pinned = ", ".join(f"{k}={v}" for k, v in process.env.items() if k.startswith("CUDA_"))
            typer.echo(f"{process.name}: pid {child.pid}" + (f"  ({pinned})" if pinned else ""))
        while True:
            ended = [(p.name, c.returncode) for p, c in running if c.poll() is not None]
            if ended:
                name, status = ended[0]
                typer.echo(f"{name} exited with status {status}; stopping the others", err=True)
                break
            time.sleep(1.0)
    except KeyboardInterrupt:
        status = 128 + signal.SIGINT
    except SystemExit as stop:  # SIGTERM
        status = stop.code if isinstance(stop.code, int) else 1
    finally:
        for _, child in running:
            stop_worker(child)
        signal.signal(signal.SIGTERM, previous)
    return status
