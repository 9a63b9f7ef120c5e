"""Processes that die with their parent: ``optbench serve`` starts a Celery worker, which
forks pool processes (and, embedded, a beat process). If the server is killed, ``kill
-9`` included, none of them may linger: each asks the kernel (Linux ``prctl``) to kill it
when its parent dies. Kept free of Celery so the CLI can import it cheaply.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

#: Set in the worker's environment by ``optbench serve``; its processes then die with it.
DIE_WITH_PARENT = "OPTBENCH_DIE_WITH_PARENT"
#: The worker's main process id, for its forked children to check against.
WORKER_PID = "OPTBENCH_WORKER_PID"
_PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int | None = None) -> None:
    """Have the kernel send SIGKILL to this process when its parent exits. If the parent
    is already gone (it died between the fork and this call), exit now."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)


def wanted() -> bool:
    return os.environ.get(DIE_WITH_PARENT) == "1"


def remember_worker_pid() -> None:
    """In the worker's main process, before it forks: children read this back."""
    os.environ[WORKER_PID] = str(os.getpid())


def child_dies_with_worker() -> None:
    """In a forked pool or beat process: die when the worker's main process does."""
    if wanted():
        parent = os.environ.get(WORKER_PID)
        die_with_parent(int(parent) if parent else None)
