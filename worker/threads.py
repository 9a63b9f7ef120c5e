"""CPU threads per pool process: a worker of N processes on a machine of C cores gives
each process C // N intra-op threads (at least one), so N trainings side by side do not
oversubscribe the cores (with PyTorch's default, each would start C threads).

An explicit ``OMP_NUM_THREADS`` in the worker's environment wins; a single-process
worker (``--pool solo``, or one pool process) keeps PyTorch's default.
"""

from __future__ import annotations

import os
import sys

#: Set in the worker's main process before it forks: how many pool processes it runs.
POOL_PROCESSES = "OPTBENCH_POOL_PROCESSES"


def threads_per_process(cores: int, processes: int) -> int:
    return max(1, cores // max(1, processes))


def remember_pool_size(processes: int) -> None:
    os.environ[POOL_PROCESSES] = str(processes)


def share_cores() -> int | None:
    """In a pool process: limit its threads to its share; returns the count set (None
    when left alone)."""
    if "OMP_NUM_THREADS" in os.environ:
        return None
    processes = int(os.environ.get(POOL_PROCESSES, "1") or 1)
    if processes <= 1:
        return None
    threads = threads_per_process(len(os.sched_getaffinity(0)), processes)
    os.environ["OMP_NUM_THREADS"] = str(threads)  # read by torch when it is first imported
    if "torch" in sys.modules:  # imported before the fork (plugin discovery)
        sys.modules["torch"].set_num_threads(threads)
    return threads
