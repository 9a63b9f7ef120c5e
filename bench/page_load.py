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
/health) between pages. Every open is a first visit (no If-None-Match), unless a phase
revalidates: then each reader keeps the entity tags it was sent and sends them back, as
a browser's cache does (only the view has one), so an unchanged view costs a 304.
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
WARM_UP_CONNECTIONS = 8
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
    by_path: dict[str, list[float]] = field(default_factory=dict)
    """Latencies per request path (ids as ``{id}``)."""


@dataclass
class Reader:
    client: httpx.AsyncClient
    measured: Measured
    sent: int = 0
    """Requests this reader sent."""
    etags: dict[str, str] | None = None
    """A browser's cache of entity tags (None: none kept, every open a first visit)."""

    async def get(self, path: str, **params: object) -> bytes | None:
        """The answer's body (unparsed: the readers' browsers are not on this machine,
        so the benchmark spends no CPU decoding what it does not need); with ``etags``,
        sent with If-None-Match as a browser revalidates (a 304 is an answer too)."""
        started = time.perf_counter()
        self.sent += 1
        key = f"{path}?{sorted(params.items())}"
        known = self.etags.get(key) if self.etags is not None else None
        try:
            response = await self.client.get(
                path,
                params=params or None,
                headers={"If-None-Match": known} if known else None,
            )
        except httpx.HTTPError as error:
            self.measured.errors.append(f"{type(error).__name__} {path}")
            return None
        finally:
            took = time.perf_counter() - started
            self.measured.requests.append(took)
            kind = re.sub(r"/\d+", "/{id}", path)
            self.measured.by_path.setdefault(kind, []).append(took)
        if response.status_code == 304 and known:
            return b""
        if response.status_code != 200:
            self.measured.errors.append(f"{response.status_code} {path}")
            return None
        if self.etags is not None and "etag" in response.headers:
            self.etags[key] = response.headers["etag"]
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


async def _warm_up(url: str, token: str, opener: Opener, experiments: list[int]) -> None:
    """Each experiment opened at once over several fresh connections (unmeasured), so
    that every API process has computed its answers, as on a server in use."""
    for _ in range(2):
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=300
        ) as client:
            await asyncio.gather(
                *(
                    opener(Reader(client, Measured()), experiment)
                    for experiment in experiments
                    for _ in range(WARM_UP_CONNECTIONS)
                )
            )


async def _phase(
    url: str,
    token: str,
    opener: Opener,
    experiments: list[int],
    clients: int,
    seconds: float,
    extra: list[str],
    revalidate: bool,
) -> Measured:
    measured = Measured()
    # idle connections dropped before the server's keep-alive (5 s) closes one under a request
    limits = httpx.Limits(max_connections=clients * 8, keepalive_expiry=2)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120, limits=limits
    ) as client:
        reader = Reader(client, Measured())
        await _settle(reader, experiments[0])  # nothing left over from a previous phase
        await _warm_up(url, token, opener, experiments)
        began = time.monotonic()
        deadline = began + seconds
        await asyncio.gather(
            *(
                _reader_loop(
                    Reader(client, measured, etags={} if revalidate else None),
                    opener,
                    experiments,
                    extra,
                    deadline,
                    i,
                )
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
    revalidate: bool = False,
) -> Measured:
    """``clients`` readers opening the ``experiments``' pages with ``opener`` for
    ``seconds`` (after unmeasured warm-up opens of each); with ``revalidate`` each
    reader keeps the entity tags it was sent, as its browser would, and revalidates."""
    return asyncio.run(
        _phase(url, token, opener, experiments, clients, seconds, extra or [], revalidate)
    )


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, seconds) of a process and its descendants, from /proc
    (uvicorn's workers are children of its first process); None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            kids = [int(k) for k in children.read().split()]
    except OSError:
        return None
    import os

    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(tree_cpu_seconds(k) or 0.0 for k in kids)


async def _opens(
    url: str, token: str, opener: Opener, experiments: list[int], n: int, revalidate: bool
) -> None:
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as client:
        reader = Reader(client, Measured(), etags={} if revalidate else None)
        await _settle(reader, experiments[0])
        await _warm_up(url, token, opener, experiments)
        for turn in range(n):
            await opener(reader, experiments[turn % len(experiments)])
        if reader.measured.errors:
            raise RuntimeError(f"opening pages failed: {reader.measured.errors[0]}")


def server_cpu_per_open(
    url: str,
    token: str,
    opener: Opener,
    experiments: list[int],
    server_pid: int,
    revalidate: bool = False,
    n: int = 20,
) -> float | None:
    """The API server's CPU seconds per page open, one reader opening ``n`` pages in turn
    (what a page costs the server, whatever else the machine is doing)."""
    before = tree_cpu_seconds(server_pid)
    asyncio.run(_opens(url, token, opener, experiments, n, revalidate))
    after = tree_cpu_seconds(server_pid)
    return None if before is None or after is None else (after - before) / n


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))] if ordered else float("nan")


def side_by_side(phases: list[tuple[str, Measured, float | None]]) -> list[str]:
    """The phases (label, measurements, the server's CPU seconds per page open or None)
    as columns: requests and page opens per second, p50 and p99 of requests and of page
    opens, CPU per open, errors; then the first phase against each other one (latencies
    and CPU: first over other; page opens per second: other over first)."""

    def ms(value: float | None) -> str:
        if value is None:
            return "—"
        return f"{1e3 * value:,.0f} ms" if value >= 0.01 else f"{1e3 * value:.1f} ms"

    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.1f}×" if a is not None and b else "—"

    def rate(measured: Measured, what: list[float]) -> float:
        return len(what) / measured.seconds if measured.seconds else 0.0

    first = phases[0]
    others = phases[1:]
    rows = [["", *(label for label, _, _ in phases), *(f"ratio: {o[0]}" for o in others)]]

    def row(name: str, value, compare=None) -> None:  # type: ignore[no-untyped-def]
        rows.append(
            [
                name,
                *(value(m, cpu) for _, m, cpu in phases),
                *((compare(first, o) if compare else "") for o in others),
            ]
        )

    row("requests per page open", lambda m, _: f"{m.page_requests / max(1, len(m.pages)):.1f}")
    row(
        "page opens/s",
        lambda m, _: f"{rate(m, m.pages):.1f}",
        lambda f, o: ratio(rate(o[1], o[1].pages), rate(f[1], f[1].pages)),
    )
    row("requests/s", lambda m, _: f"{rate(m, m.requests):.1f}")
    for what, pick in (("request", "requests"), ("page open", "pages")):
        for name, q in (("p50", 0.5), ("p99", 0.99)):

            def value(m: Measured, _: object, pick: str = pick, q: float = q) -> str:
                return ms(percentile(getattr(m, pick), q))

            def compare(f, o, pick: str = pick, q: float = q) -> str:  # type: ignore[no-untyped-def]
                return ratio(percentile(getattr(f[1], pick), q), percentile(getattr(o[1], pick), q))

            row(f"{what} {name}", value, compare)
    if any(cpu is not None for _, _, cpu in phases):
        row("server CPU per page open", lambda _, cpu: ms(cpu), lambda f, o: ratio(f[2], o[2]))
    row("errors", lambda m, _: str(len(m.errors)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  "
        + "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]
    for label, measured, _ in phases:
        if measured.errors:
            lines.append(f"  {label}: e.g. {measured.errors[0]}")
    return lines


def slowest_paths(label: str, measured: Measured, top: int = 4) -> list[str]:
    """The request paths with the highest p99 in a phase, one line."""
    ranked = sorted(
        ((percentile(v, 0.99), path) for path, v in measured.by_path.items()), reverse=True
    )
    shown = ", ".join(f"{path} {1e3 * p99:,.0f} ms" for p99, path in ranked[:top])
    return [f"  {label}: p99 by path: {shown}"]
