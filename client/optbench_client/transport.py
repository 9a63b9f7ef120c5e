"""What the synchronous and the asynchronous client share: where the server is and which
token to send, how an answer becomes a result or an error, when to retry and how long
to wait, and the check of the server's version."""

from __future__ import annotations

import email.utils
import ipaddress
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import TypeAdapter, ValidationError

from optbench_client.errors import (
    ApiError,
    NotAnOptbenchServer,
    ServerTooOld,
    ServerUnreachable,
    TokenRefused,
    UnexpectedAnswer,
    VersionMismatchWarning,
)
from optbench_client.version import MINIMUM_SERVER, __version__, major_differs, too_old

DEFAULT_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
TERMINAL = {"succeeded", "failed", "cancelled"}
#: Statuses that say "not now": the request was not carried out and may be sent again.
RETRY_STATUSES = frozenset({429, 503})


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_token() -> str | None:
    """The embedded server's admin token, as ``optbench serve`` left it."""
    home = Path(os.environ.get("OPTBENCH_HOME", Path.home() / ".optbench")).expanduser()
    path = home / "token"
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def resolve(url: str | None, token: str | None) -> tuple[str, str | None]:
    """The server's URL and the token to send: the arguments, else OPTBENCH_URL and
    OPTBENCH_TOKEN, else the embedded server on this machine and its local token (which
    is never sent anywhere but to a loopback address)."""
    base = (url or os.environ.get("OPTBENCH_URL") or DEFAULT_URL).rstrip("/")
    if not urlsplit(base).scheme:
        base = f"http://{base}"
    chosen = token or os.environ.get("OPTBENCH_TOKEN")
    if chosen is None and is_loopback(base):
        chosen = local_token()
    return base, chosen


@dataclass(frozen=True)
class Retry:
    """Back-off for answers that say "not now" (429, 503) and for connections that could
    not be made. ``Retry-After`` is honoured (seconds or an HTTP date), capped at
    ``max_wait``; without it the wait doubles from ``backoff``."""

    attempts: int = 5
    backoff: float = 0.5
    max_wait: float = 60.0

    def wait(self, attempt: int, response: httpx.Response | None) -> float:
        header = None if response is None else response.headers.get("Retry-After")
        seconds = retry_after(header)
        if seconds is None:
            seconds = self.backoff * 2**attempt
        return max(0.0, min(seconds, self.max_wait))


def retry_after(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return float(header)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


@dataclass(frozen=True)
class Call:
    """One request and what to make of its answer: ``model`` validates the JSON (a class
    of :mod:`optbench_client.schema`, or a type such as ``list[RunOut]``), and ``shape``
    turns it into the result (the validated model when omitted)."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    model: Any = None
    shape: Callable[[Any], Any] | None = None
    #: The client's own request of the server version is exempt from the check.
    checks_version: bool = field(default=True)

    def request_args(self) -> dict[str, Any]:
        params = None
        if self.params:
            params = {k: v for k, v in self.params.items() if v is not None}
        args: dict[str, Any] = {"params": params}
        if self.json is not None:
            args["json"] = self.json
        return args

    def retriable(self, error: httpx.TransportError) -> bool:
        """A request that never reached the server may always be sent again; one that
        may have, only if it changes nothing."""
        return isinstance(error, httpx.ConnectError) or self.method in ("GET", "HEAD")


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def validate(model: Any, data: Any, call: Call) -> Any:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the answer"
        raise UnexpectedAnswer(
            f"{call.method} {call.path}: the server's answer does not match this client "
            f"(optbench-client {__version__}): {where}: {first['msg']}"
        ) from None


def finish(call: Call, response: httpx.Response, base_url: str) -> Any:
    """The result of an answered call, or the error it stands for."""
    if response.status_code >= 400:
        raise answer_error(response, base_url)
    data = response.json() if response.content else None
    if call.model is not None:
        typed = validate(call.model, data, call)
        return call.shape(data) if call.shape is not None else typed
    return call.shape(data) if call.shape is not None else data


def answer_error(response: httpx.Response, base_url: str) -> ApiError:
    try:
        body = response.json()
        detail = body.get("detail", response.text) if isinstance(body, dict) else body
    except ValueError:
        detail = response.text or response.reason_phrase
    if response.status_code == 401:
        return TokenRefused(response.status_code, detail, base_url)
    return ApiError(response.status_code, detail, base_url)


def unreachable(error: httpx.TransportError, base_url: str) -> ServerUnreachable:
    reason = " ".join(str(error).split()) or type(error).__name__
    return ServerUnreachable(f"cannot reach an optbench server at {base_url}: {reason}")


def check_health(response: httpx.Response, base_url: str) -> None:
    """From the server's ``/api/v1/health``: raise when it is not an optbench API or is
    too old for this client; warn when its major version differs."""
    try:
        body = response.json()
    except ValueError:
        body = None
    version = body.get("version") if isinstance(body, dict) else None
    if response.status_code not in (200, 503) or not isinstance(version, str):
        raise NotAnOptbenchServer(
            f"{base_url} is not an optbench server (GET {API_PREFIX}/health answered "
            f"HTTP {response.status_code}); check the URL (OPTBENCH_URL or --url)"
        )
    if too_old(version):
        raise ServerTooOld(
            f"the server at {base_url} runs optbench {version}, too old for optbench-client "
            f"{__version__} (it needs {MINIMUM_SERVER} or newer): upgrade the server, or "
            f"install optbench-client=={version.split('+')[0]}"
        )
    if major_differs(version):
        warnings.warn(
            f"the server at {base_url} runs optbench {version} and this is optbench-client "
            f"{__version__}: a different major version, some answers may not be understood",
            VersionMismatchWarning,
            stacklevel=4,
        )


def authorization(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}
