"""The client's version (the server's: both are released together) and what it accepts."""

from __future__ import annotations

import re

__version__ = "0.1.0"

#: The oldest server release this client can talk to.
MINIMUM_SERVER = "0.1.0"


def release(version: str) -> tuple[int, ...] | None:
    """``"0.1.0+abc123"`` → ``(0, 1, 0)``; None for a version that says nothing (a
    checkout that is not installed reports ``0+unknown``)."""
    match = re.match(r"^\s*v?(\d+(?:\.\d+)*)", version or "")
    if match is None or version.endswith("+unknown"):
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def padded(parts: tuple[int, ...]) -> tuple[int, int, int]:
    a, b, c = (*parts, 0, 0, 0)[:3]
    return a, b, c


def too_old(server: str, minimum: str = MINIMUM_SERVER) -> bool:
    parts = release(server)
    floor = release(minimum)
    return parts is not None and floor is not None and padded(parts) < padded(floor)


def major_differs(server: str, client: str = __version__) -> bool:
    parts, mine = release(server), release(client)
    return parts is not None and mine is not None and parts[0] != mine[0]
