"""What a failed run tells its readers: one line of cause for everyone; the traceback,
which names files and code, for admins only (and the worker's log)."""

from __future__ import annotations

MAX_CAUSE = 500


def one_line(error: str) -> str:
    """The cause in one line: a traceback's closing ``Type: message`` line, or the first
    line of a plain message, at most ``MAX_CAUSE`` characters."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    if not lines:
        return "failed"
    cause = lines[-1] if lines[0].startswith("Traceback (most recent call last)") else lines[0]
    return cause[:MAX_CAUSE]


def split_failure(error: str) -> tuple[str, str | None]:
    """``(cause, traceback)``: a multi-line report keeps its whole text as the traceback."""
    return one_line(error), (error if "\n" in error.strip() else None)
