"""The command line that starts a worker (kept free of imports: no Celery app is built)."""

from __future__ import annotations

import sys
from pathlib import Path


def worker_command(
    queues: str = "cpu,gpu",
    *,
    pool: str | None = None,
    concurrency: int | None = None,
    beat_schedule: Path | str | None = None,
) -> list[str]:
    """``python -m celery -A worker.app worker …``; with ``beat_schedule`` the worker also
    runs the reconciler's schedule (see shared/reconcile.py)."""
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
    if beat_schedule is not None:
        command += ["--beat", "--schedule", str(beat_schedule)]
    return command
