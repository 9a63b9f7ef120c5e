"""``Client(url, token)``: submit, watch, query; typed answers and DataFrames."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pandas as pd

from optbench_client import frames, schema
from optbench_client.errors import ServerUnreachable
from optbench_client.queries import PAGE, Queries, as_is
from optbench_client.transport import (
    API_PREFIX,
    RETRY_STATUSES,
    TERMINAL,
    Call,
    Retry,
    authorization,
    check_health,
    finish,
    resolve,
    unreachable,
)
from optbench_client.weights import KeptModels


class Client(Queries, KeptModels):
    """A synchronous client of one optbench server.

    ``url`` and ``token`` default to OPTBENCH_URL and OPTBENCH_TOKEN, else the embedded
    server on this machine and its local token. ``timeout`` is in seconds (or an
    ``httpx.Timeout``); ``retry`` sets the back-off for 429 and 503 answers (which honour
    ``Retry-After``) and for connections that could not be made. The server's version is
    checked once, before the first request: too old a server is an error, another major
    version a warning."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retry: Retry | None = None,
        check_version: bool = True,
    ) -> None:
        self.url, self.token = resolve(url, token)
        self.retry = retry or Retry()
        self._version_checked = not check_version
        self.http = httpx.Client(
            base_url=f"{self.url}{API_PREFIX}", headers=authorization(self.token), timeout=timeout
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending -------------------------------------------------------------------------

    def _send(self, call: Call) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self.http.request(call.method, call.path, **call.request_args())
            except httpx.TransportError as error:
                if attempt + 1 >= self.retry.attempts or not call.retriable(error):
                    raise unreachable(error, self.url) from None
                time.sleep(self.retry.wait(attempt, None))
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                if attempt + 1 >= self.retry.attempts:
                    return response
                time.sleep(self.retry.wait(attempt, response))
            attempt += 1

    def _call(self, call: Call) -> Any:
        if call.checks_version and not self._version_checked:
            self.check_server()
        return finish(call, self._send(call), self.url)

    def check_server(self) -> None:
        """Make sure an optbench server new enough for this client answers at the URL."""
        check_health(self._send(Call("GET", "/health", checks_version=False)), self.url)
        self._version_checked = True

    # -- paging --------------------------------------------------------------------------

    def iter_experiments(
        self, page_size: int = 100, **filters: Any
    ) -> Iterator[schema.ExperimentOut]:
        """Every experiment that matches the filters (``status``, ``kind``, ``owner``),
        newest first, fetched a page at a time."""
        offset = filters.pop("offset", 0)
        while True:
            page = self.experiments_page(**filters, limit=page_size, offset=offset)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def iter_runs(self, experiment_id: int) -> Iterator[schema.RunOut]:
        """Every run of the experiment (the API answers them in one list)."""
        yield from self.run_list(experiment_id)

    def iter_records(
        self, experiment_id: int, page_size: int = PAGE, **filters: Any
    ) -> Iterator[schema.RecordOut]:
        """Every model record (``optimizer``, ``trajectory`` filters), a page at a time."""
        offset = 0
        while True:
            page = self.records_page(experiment_id, **filters, limit=page_size, offset=offset)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def iter_models(
        self, experiment_id: int, page_size: int = PAGE
    ) -> Iterator[schema.KeptModelOut]:
        """Every kept model of the experiment, a page at a time."""
        offset = 0
        while True:
            page = self.models_page(experiment_id, limit=page_size, offset=offset)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def _pages(self, path: str, model: Any, page_size: int, **params: Any) -> Iterator[dict]:
        """The raw items of every page of a paged list (validated against ``model``)."""
        offset = 0
        while True:
            page = self._call(
                Call(
                    "GET",
                    path,
                    params={**params, "limit": page_size, "offset": offset},
                    model=model,
                    shape=as_is,
                )
            )
            yield from page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return

    def records(self, experiment_id: int, **filters: Any) -> pd.DataFrame:
        """Every model record as a DataFrame (``metrics.<name>`` per task metric)."""
        path = f"/experiments/{experiment_id}/records"
        return frames.items(self._pages(path, schema.RecordPage, PAGE, **filters))

    def models(self, experiment_id: int) -> pd.DataFrame:
        """Every kept model: optimizer, trajectory, step, losses, ``metrics.<name>``, size,
        SHA-256 and download URL."""
        path = f"/experiments/{experiment_id}/models"
        return frames.items(self._pages(path, schema.KeptModelPage, PAGE))

    # -- waiting -------------------------------------------------------------------------

    def wait(
        self,
        experiment_id: int,
        *,
        poll: float = 0.5,
        timeout: float | None = None,
        on_progress: Callable[[schema.ExperimentOut], None] | None = None,
    ) -> schema.ExperimentOut:
        """Poll until the experiment finishes; returns its final state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.experiment(experiment_id)
            if on_progress is not None:
                on_progress(state)
            if state.status in TERMINAL:
                return state
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"experiment {experiment_id} still {state.status}")
            time.sleep(poll)


__all__ = ["Client", "ServerUnreachable"]
