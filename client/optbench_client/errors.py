"""What can go wrong talking to a server, each as one readable line."""

from __future__ import annotations

from typing import Any


class OptbenchError(Exception):
    """Base of the client's errors; ``str(error)`` is one line for a person."""


class ApiError(OptbenchError):
    """The server answered with an error status."""

    def __init__(self, status: int, detail: Any, url: str = "") -> None:
        self.status = status
        self.detail = detail
        self.url = url
        super().__init__(f"HTTP {status}: {format_detail(detail)}")


class TokenRefused(ApiError):
    """401: no token, or one the server does not know (or has revoked)."""

    def __init__(self, status: int, detail: Any, url: str = "") -> None:
        super().__init__(status, detail, url)
        self.args = (
            f"HTTP {status}: the server at {url} refused the token ({format_detail(detail)}); "
            "check OPTBENCH_TOKEN or --token",
        )


class ServerUnreachable(OptbenchError):
    """No optbench server answers at the URL (nothing listens, DNS, TLS, a timeout)."""


class NotAnOptbenchServer(OptbenchError):
    """Something answers at the URL, but not an optbench API."""


class ServerTooOld(OptbenchError):
    """The server's version is older than this client supports."""


class UnexpectedAnswer(OptbenchError):
    """The server's answer does not have the shape this client's models describe."""


class VersionMismatchWarning(UserWarning):
    """The server's major version differs from the client's."""


def format_detail(detail: Any) -> str:
    """FastAPI's 422 list of errors as one readable line per field."""
    if isinstance(detail, list):
        parts = []
        for error in detail:
            if not isinstance(error, dict):
                parts.append(str(error))
                continue
            loc = [
                str(p) for p in error.get("loc", []) if p not in ("body", "landscape", "training")
            ]
            parts.append(f"{'.'.join(loc) or 'spec'}: {error.get('msg', error)}")
        return "; ".join(parts)
    return " ".join(str(detail).split())
