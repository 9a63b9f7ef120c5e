"""The client against small real HTTP servers on this machine: retries that honour
Retry-After on 429 and 503, timeouts, the server's version, a wrong URL or token, each
failure as one line."""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from optbench_client import (
    ApiError,
    Client,
    NotAnOptbenchServer,
    Retry,
    ServerTooOld,
    ServerUnreachable,
    TokenRefused,
    VersionMismatchWarning,
    __version__,
)
from optbench_client.transport import retry_after

Answer = tuple[int, dict[str, str], object]


class Server:
    """Answers each request with the next of ``script`` (then the last one again);
    ``/api/v1/health`` answers ``version``. Records what it was asked, and when."""

    def __init__(
        self, script: list[Answer], version: str | None = __version__, delay: float = 0
    ) -> None:
        self.script, self.version, self.delay = script, version, delay
        self.asked: list[tuple[str, str, float]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def answer(self) -> None:
                if self.path == "/api/v1/health" and server.version is None:
                    status, headers, body = 404, {}, {"detail": "Not Found"}
                elif self.path == "/api/v1/health":
                    health = {"status": "ok", "database": True, "broker": True}
                    status, headers, body = 200, {}, {**health, "version": server.version}
                else:
                    server.asked.append((self.command, self.path, time.monotonic()))
                    time.sleep(server.delay)
                    index = min(len(server.asked), len(server.script)) - 1
                    status, headers, body = server.script[index]
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = answer

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(script: list[Answer], **options: object) -> Server:
        server = Server(script, **options)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


ME = (200, {}, {"id": 1, "name": "alice", "role": "member"})
FAST = Retry(attempts=4, backoff=0.05, max_wait=5)


def test_429_and_503_are_retried_after_the_time_the_server_asks(serve) -> None:
    server = serve(
        [
            (429, {"Retry-After": "1"}, {"detail": "slow down"}),
            (
                503,
                {"Retry-After": formatdate(time.time() + 1, usegmt=True)},
                {"detail": "the database is unavailable; retry shortly"},
            ),
            ME,
        ]
    )
    me = Client(server.url, "obt_x", retry=FAST).me()
    assert me.name == "alice"
    (_, _, first), (_, _, second), (_, _, third) = server.asked
    assert second - first >= 0.95  # Retry-After: 1 (seconds)
    assert third - second >= 0.0 and len(server.asked) == 3  # an HTTP date, in the past or near


def test_without_retry_after_the_wait_doubles_and_the_last_answer_is_the_error(serve) -> None:
    server = serve([(503, {}, {"detail": "the database is unavailable; retry shortly"})])
    with pytest.raises(ApiError) as caught:
        Client(server.url, "obt_x", retry=Retry(attempts=3, backoff=0.2)).me()
    assert caught.value.status == 503 and len(server.asked) == 3
    gaps = [b[2] - a[2] for a, b in zip(server.asked, server.asked[1:], strict=False)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4
    assert str(caught.value) == "HTTP 503: the database is unavailable; retry shortly"


def test_a_submission_refused_with_429_is_sent_again(serve) -> None:
    server = serve(
        [
            (429, {"Retry-After": "0"}, {"detail": "5 submissions a minute"}),
            (202, {}, {"id": 7, "status": "queued", "runs": 2, "url": "x"}),
        ]
    )
    assert Client(server.url, "obt_x", retry=FAST).submit({"kind": "landscape"}) == 7
    assert [a[0] for a in server.asked] == ["POST", "POST"]


def test_other_errors_are_not_retried(serve) -> None:
    server = serve([(422, {}, {"detail": [{"loc": ["body", "restarts"], "msg": "too many"}]})])
    with pytest.raises(ApiError, match=r"^HTTP 422: restarts: too many$"):
        Client(server.url, "obt_x", retry=FAST).submit({"kind": "landscape"})
    assert len(server.asked) == 1


def test_a_read_that_times_out_is_retried_then_reported_in_one_line(serve) -> None:
    server = serve([ME], delay=0.5)
    client = Client(server.url, "obt_x", timeout=0.1, retry=Retry(attempts=2, backoff=0.01))
    with pytest.raises(ServerUnreachable) as caught:
        client.me()
    assert len(server.asked) == 2
    assert str(caught.value).startswith(f"cannot reach an optbench server at {server.url}: ")
    assert "\n" not in str(caught.value)


def test_a_wrong_url_and_a_wrong_token_are_one_line_each(serve) -> None:
    nothing = Server([ME])
    nothing.close()  # a port where nothing listens any more
    with pytest.raises(ServerUnreachable) as caught:
        Client(nothing.url, "obt_x", retry=Retry(attempts=2, backoff=0.01)).me()
    assert str(caught.value).startswith(f"cannot reach an optbench server at {nothing.url}")

    other = serve([(404, {}, {"detail": "Not Found"})], version=None)
    with pytest.raises(
        NotAnOptbenchServer,
        match=r"is not an optbench server \(GET /api/v1/health answered HTTP 404\); check the URL",
    ):
        Client(other.url, "obt_x").me()

    refusing = serve([(401, {}, {"detail": "the token is not valid"})])
    with pytest.raises(TokenRefused) as refused:
        Client(refusing.url, "obt_wrong").me()
    assert str(refused.value) == (
        f"HTTP 401: the server at {refusing.url} refused the token (the token is not valid); "
        "check OPTBENCH_TOKEN or --token"
    )


def test_too_old_a_server_is_refused_and_another_major_version_warned(serve) -> None:
    old = serve([ME], version="0.0.9+abc")
    with pytest.raises(ServerTooOld) as caught:
        Client(old.url, "obt_x").me()
    message = str(caught.value)
    assert "0.0.9+abc" in message and __version__ in message and "\n" not in message
    assert old.asked == []  # nothing was sent to it

    newer = serve([ME], version="7.1.0")
    with pytest.warns(
        VersionMismatchWarning, match=f"optbench 7.1.0 .*optbench-client {__version__}"
    ):
        assert Client(newer.url, "obt_x").me().name == "alice"

    same = serve([ME], version=f"{__version__}+0123abcd")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = Client(same.url, "obt_x")
        client.me()
        client.me()
    assert len(same.asked) == 2  # the version is asked once


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after("3") == 3.0
    assert 9 < retry_after(formatdate(time.time() + 10, usegmt=True)) <= 10
    assert retry_after("soon") is None and retry_after(None) is None
