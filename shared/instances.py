"""Worker instances: which process claimed a run, and finding runs whose process is gone.

Every claim stamps the run with the claiming process's instance id. ``optbench serve``
gives its worker an id that starts with a prefix derived from the host and the home
folder, and holds a lock on that folder while it runs; so when it starts again, every
run still marked ``running`` under that prefix belongs to a worker that died with the
previous server (``kill -9``, a power cut) and can be queued again at once instead of
waiting out the heartbeat's stale window.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import uuid
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.models import Experiment, Run, Status
from shared.experiments import refresh_status
from shared.private_files import FILE_MODE


class HomeInUse(RuntimeError):
    """Another ``optbench serve`` holds this home folder."""


def embedded_prefix(home: Path) -> str:
    """The instance-id prefix of embedded servers on this host and home folder."""
    where = f"{socket.gethostname()}:{home.expanduser().resolve()}"
    return "emb-" + hashlib.sha256(where.encode()).hexdigest()[:12] + "-"


def new_embedded_instance(home: Path) -> str:
    return embedded_prefix(home) + uuid.uuid4().hex[:16]


def process_instance(configured: str = "") -> str:
    """This process's instance id: the configured one, or host and process id."""
    return configured or f"{socket.gethostname()[:40]}-{os.getpid()}"[:64]


def lock_home(home: Path) -> IO[str]:
    """Hold ``home/serve.lock`` for the life of the returned file (the lock is released
    by the kernel when the process ends, however it ends)."""
    descriptor = os.open(home / "serve.lock", os.O_CREAT | os.O_RDWR, FILE_MODE)
    handle = os.fdopen(descriptor, "r+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise HomeInUse(f"another optbench serve is running on {home}") from None
    return handle


def requeue_orphans(session: Session, *, prefix: str, current: str) -> list[Run]:
    """Runs marked ``running`` by an earlier instance with ``prefix`` (not ``current``):
    back to ``queued`` now, returned for sending. Runs of cancelled experiments are
    cancelled instead. The caller holds the home lock, marks them sent
    (``shared.dispatch.mark_sent``), commits, then sends."""
    runs = session.scalars(
        select(Run)
        .join(Experiment)
        .with_for_update(of=Run)
        .where(Run.status == Status.running)
        .where(Run.worker_instance.startswith(prefix, autoescape=True))
        .where(Run.worker_instance != current)
        .order_by(Run.id)
    ).all()
    now, resend, touched = utcnow(), [], set()
    for run in runs:
        if run.experiment.cancel_requested:
            run.status, run.finished_at = Status.cancelled, now
        else:
            run.status = Status.queued
            resend.append(run)
        touched.add(run.experiment_id)
    session.flush()
    for experiment_id in touched:
        refresh_status(session, experiment_id)
    return resend
