"""A liveness file for ``celery beat``, which answers no ping: beat stamps the file each
time it sends a task (the reconciler, every ``OPTBENCH_RECONCILE_EVERY_SECONDS``), and
the container's health check asks whether the stamp is recent:

    python -m worker.liveness /tmp/optbench-beat-alive 300
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

BEAT_ALIVE = Path("/tmp/optbench-beat-alive")
_enabled: list[Path] = []


def enable(path: Path = BEAT_ALIVE) -> None:
    """In the beat process: from now on, :func:`stamp` touches ``path``."""
    _enabled[:] = [path]
    stamp()


def stamp() -> None:
    for path in _enabled:
        path.touch()


def fresh(path: Path, max_age: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime <= max_age
    except OSError:
        return False


def main(argv: list[str]) -> int:
    path, max_age = Path(argv[0]), float(argv[1])
    if fresh(path, max_age):
        return 0
    print(f"{path} is missing or older than {max_age:g} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
