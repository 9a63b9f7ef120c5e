"""Opening a training experiment's page under load, the way the page asked before and the
way it asks now, in one process against one server: the before/after comparison that
``bench/load.py`` and ``bench/soak.py`` print.

* before: what the page sent to open a training experiment until it had one endpoint:
  the experiment, then at once set-comparison, optimizer-comparison, populations A and B,
  sweep, learning-curves and kept models, and every record a page of 10,000 at a time
  (the sharpness view joined them in the browser).
* after: the experiment, then at once GET …/view and kept models.

Each simulated reader opens a page, and when it has every answer opens the next (the
experiments in turn), optionally reading ``extra`` paths (the list, the leaderboard,
/health) between pages. Browsers' caches are left out: every open is a first visit
(no If-None-Match), the answers' cost with nothing saved by a 304.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

RECORD_PAGE = 10_000
"""The page's record paging (the API's largest page)."""
TOTAL = re.compile(rb'\{"total":\s*(\d+)')
SETTLED = 0.5
"""Between phases, the server has settled once an experiment is read within this (s)."""

Opener = Callable[["Reader", int], Awaitable[None]]


@dataclass
class Measured:
    """Latencies (seconds) of every request and of every page open, and the failures."""

    requests: list[float] = field(default_factory=list)
    pages: list[float] = field(default_factory=list)
    page_requests: int = 0
    """Requests the page opens sent (``extra`` reads left out)."""
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Reader:
    client: httpx.AsyncClient
    measured: Measured
    sent: int = 0
    """Requests this reader sent."""

    async def get(self, path: str, **params: object) -> bytes | None:
        """The answer's body (unparsed: the readers' browsers are not on this machine,
        so the benchmark spends no CPU decoding what it does not need)."""
        started = time.perf_counter()
        self.sent += 1
        try:
            response = await self.client.get(path, params=params or None)
        except httpx.HTTPError as error:
            self.measured.errors.append(f"{type(error).__name__} {path}")
            return None
        finally:
            self.measured.requests.append(time.perf_counter() - started)
        if response.status_code != 200:
            self.measured.errors.append(f"{response.status_code} {path}")
            return None
        return response.content


async def open_before(reader: Reader, experiment: int) -> None:
    """The page's requests before the view endpoint (finished training experiment)."""
    base = f"/api/v1/experiments/{experiment}"
    await reader.get(base)

    async def every_record() -> None:
        offset = 0
        while True:
            page = await reader.get(f"{base}/records", limit=RECORD_PAGE, offset=offset)
            total = TOTAL.match(page or b"")  # the first key; the rest is left unparsed
            if total is None or offset + RECORD_PAGE >= int(total.group(1)):
                return
            offset += RECORD_PAGE

    await asyncio.gather(
        reader.get(f"{base}/set-comparison"),
        reader.get(f"{base}/optimizer-comparison"),
        reader.get(f"{base}/populations", which="A"),
        reader.get(f"{base}/populations", which="B"),
        reader.get(f"{base}/sweep"),
        reader.get(f"{base}/learning-curves", column="test_loss", window=3),
        reader.get(f"{base}/models", limit=50, offset=0),
        every_record(),
    )


async def open_after(reader: Reader, experiment: int) -> None:
    """The page's requests now: the experiment, its view and its kept models."""
    base = f"/api/v1/experiments/{experiment}"
    await reader.get(base)
    await asyncio.gather(
        reader.get(f"{base}/view", column="test_loss", window=3),
        reader.get(f"{base}/models", limit=50, offset=0),
    )


async def _reader_loop(
    reader: Reader,
    opener: Opener,
    experiments: list[int],
    extra: list[str],
    deadline: float,
    offset: int,
) -> None:
    turn = offset
    while time.monotonic() < deadline:
        started, sent = time.perf_counter(), reader.sent
        await opener(reader, experiments[turn % len(experiments)])
        reader.measured.pages.append(time.perf_counter() - started)
        reader.measured.page_requests += reader.sent - sent
        for path in extra:
            if time.monotonic() >= deadline:
                break
            await reader.get(path)
        turn += 1


async def _settle(reader: Reader, experiment: int, patience: float = 300) -> None:
    """Wait until the server reads an experiment quickly: requests a previous phase's
    readers gave up on may still be running there."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        started = time.perf_counter()
        await reader.get(f"/api/v1/experiments/{experiment}")
        if time.perf_counter() - started < SETTLED:
            return
        await asyncio.sleep(1)


async def _phase(
    url: str,
    token: str,
    opener: Opener,
    experiments: list[int],
    clients: int,
    seconds: float,
    extra: list[str],
) -> Measured:
    measured = Measured()
    # idle connections dropped before the server's keep-alive (5 s) closes one under a request
    limits = httpx.Limits(max_connections=clients * 8, keepalive_expiry=2)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120, limits=limits
    ) as client:
        reader = Reader(client, Measured())
        await _settle(reader, experiments[0])  # nothing left over from a previous phase
        for experiment in experiments:  # warm-up: each answer computed once, not measured
            await opener(reader, experiment)
        began = time.monotonic()
        deadline = began + seconds
        await asyncio.gather(
            *(
                _reader_loop(Reader(client, measured), opener, experiments, extra, deadline, i)
                for i in range(clients)
            )
        )
        measured.seconds = time.monotonic() - began
    return measured


def measure_phase(
    url: str,
    token: str,
    opener: Opener,
    experiments: list[int],
    clients: int,
    seconds: float,
    extra: list[str] | None = None,
) -> Measured:
    """``clients`` readers opening the ``experiments``' pages with ``opener`` for
    ``seconds`` (after one unmeasured warm-up open of each)."""
    return asyncio.run(_phase(url, token, opener, experiments, clients, seconds, extra or []))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))] if ordered else float("nan")


def side_by_side(before: Measured, after: Measured) -> list[str]:
    """The comparison as lines: requests, page opens, p50 and p99 of both, the ratios
    (before over after for latencies, after over before for throughput)."""

    def ms(value: float) -> str:
        return f"{1e3 * value:,.0f} ms"

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.1f}×" if b > 0 else "—"

    def rate(measured: Measured, what: list[float]) -> float:
        return len(what) / measured.seconds if measured.seconds else 0.0

    rows = [
        ("", "before", "after", "ratio"),
        (
            "requests per page open",
            f"{before.page_requests / max(1, len(before.pages)):.1f}",
            f"{after.page_requests / max(1, len(after.pages)):.1f}",
            "",
        ),
        (
            "page opens/s",
            f"{rate(before, before.pages):.1f}",
            f"{rate(after, after.pages):.1f}",
            ratio(rate(after, after.pages), rate(before, before.pages)),
        ),
        (
            "requests/s",
            f"{rate(before, before.requests):.1f}",
            f"{rate(after, after.requests):.1f}",
            "",
        ),
    ]
    for what, b_values, a_values in (
        ("request", before.requests, after.requests),
        ("page open", before.pages, after.pages),
    ):
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            b, a = percentile(b_values, q), percentile(a_values, q)
            rows.append((f"{what} {name}", ms(b), ms(a), ratio(b, a)))
    rows.append(("errors", str(len(before.errors)), str(len(after.errors)), ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        f"  {r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}"
        for r in rows
    ]
    for label, measured in (("before", before), ("after", after)):
        if measured.errors:
            lines.append(f"  {label}: e.g. {measured.errors[0]}")
    return lines
