"""A wall-clock limit on a block of work: what one run may cost a worker
(``OPTBENCH_RUN_TIME_LIMIT``), and each property ``optbench optimizers check`` tries.

A run that passes it fails with one line and the worker goes on with the next run: an
optimizer plugin that hangs in its ``step`` ends there. The limit is an alarm signal in
the process's main thread, where Celery's pools run their tasks, so it interrupts
Python code wherever it is (a single native call finishes first); off the main thread
(a test calling a job from a thread) no alarm can be set and the run is not limited.
An alarm that lands inside an ``import`` leaves that module half loaded, so callers warm
up what they import lazily first (``shared.optim.registry.warm_up``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class RunTimeLimitExceeded(Exception):
    """The run took longer than the server's per-run wall-clock limit."""


@contextmanager
def run_time_limit(seconds: float, what: str | None = None) -> Iterator[None]:
    """Raise :class:`RunTimeLimitExceeded` in the block after ``seconds`` of wall time
    (``what`` names the work in the message; default: the run and its setting)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise RunTimeLimitExceeded(
            f"{what} took longer than {seconds:g} s; it was stopped"
            if what
            else f"the run took longer than this server's limit of {seconds:g} s "
            "(OPTBENCH_RUN_TIME_LIMIT); it was stopped"
        )

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
