"""``AsyncClient``: the same queries as ``Client``, as coroutines (``await``), with
asynchronous iterators (``async for``) over experiments, runs, records and kept models."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from optbench_client import frames, schema
from optbench_client.errors import ApiError
from optbench_client.queries import PAGE, Queries, as_is
from optbench_client.transport import (
    API_PREFIX,
    RETRY_STATUSES,
    TERMINAL,
    Call,
    Retry,
    answer_error,
    authorization,
    check_health,
    finish,
    resolve,
    unreachable,
)
from optbench_client.weights import DownloadedModel, filename_of, read_safetensors


class AsyncClient(Queries):
    """An asynchronous client of one optbench server: every query of :class:`Client`
    is a coroutine here (``await client.set_comparison_frame(7)``). Same defaults,
    timeouts, retries and version check."""

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
        self.http = httpx.AsyncClient(
            base_url=f"{self.url}{API_PREFIX}", headers=authorization(self.token), timeout=timeout
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- sending -------------------------------------------------------------------------

    async def _send(self, call: Call) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self.http.request(call.method, call.path, **call.request_args())
            except httpx.TransportError as error:
                if attempt + 1 >= self.retry.attempts or not call.retriable(error):
                    raise unreachable(error, self.url) from None
                await asyncio.sleep(self.retry.wait(attempt, None))
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                if attempt + 1 >= self.retry.attempts:
                    return response
                await asyncio.sleep(self.retry.wait(attempt, response))
            attempt += 1

    async def _call(self, call: Call) -> Any:  # type: ignore[override]
        if call.checks_version and not self._version_checked:
            await self.check_server()
        return finish(call, await self._send(call), self.url)

    async def check_server(self) -> None:
        """Make sure an optbench server new enough for this client answers at the URL."""
        response = await self._send(Call("GET", "/health", checks_version=False))
        check_health(response, self.url)
        self._version_checked = True

    # -- paging --------------------------------------------------------------------------

    async def _pages(
        self, path: str, model: Any, page_size: int, **params: Any
    ) -> AsyncIterator[dict[str, Any]]:
        offset = params.pop("offset", 0)
        while True:
            page = await self._call(
                Call(
                    "GET",
                    path,
                    params={**params, "limit": page_size, "offset": offset},
                    model=model,
                    shape=as_is,
                )
            )
            for item in page["items"]:
                yield item
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return

    async def iter_experiments(
        self, page_size: int = 100, **filters: Any
    ) -> AsyncIterator[schema.ExperimentOut]:
        async for item in self._pages("/experiments", schema.ExperimentPage, page_size, **filters):
            yield schema.ExperimentOut.model_validate(item)

    async def iter_runs(self, experiment_id: int) -> AsyncIterator[schema.RunOut]:
        for run in await self.run_list(experiment_id):
            yield run

    async def iter_records(
        self, experiment_id: int, page_size: int = PAGE, **filters: Any
    ) -> AsyncIterator[schema.RecordOut]:
        path = f"/experiments/{experiment_id}/records"
        async for item in self._pages(path, schema.RecordPage, page_size, **filters):
            yield schema.RecordOut.model_validate(item)

    async def iter_models(
        self, experiment_id: int, page_size: int = PAGE
    ) -> AsyncIterator[schema.KeptModelOut]:
        path = f"/experiments/{experiment_id}/models"
        async for item in self._pages(path, schema.KeptModelPage, page_size):
            yield schema.KeptModelOut.model_validate(item)

    async def records(self, experiment_id: int, **filters: Any) -> pd.DataFrame:
        path = f"/experiments/{experiment_id}/records"
        pages = self._pages(path, schema.RecordPage, PAGE, **filters)
        return frames.items([item async for item in pages])

    async def models(self, experiment_id: int) -> pd.DataFrame:
        path = f"/experiments/{experiment_id}/models"
        return frames.items([i async for i in self._pages(path, schema.KeptModelPage, PAGE)])

    # -- waiting -------------------------------------------------------------------------

    async def wait(
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
            state = await self.experiment(experiment_id)
            if on_progress is not None:
                on_progress(state)
            if state.status in TERMINAL:
                return state
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"experiment {experiment_id} still {state.status}")
            await asyncio.sleep(poll)

    # -- kept models ---------------------------------------------------------------------

    async def save_model(
        self, experiment_id: int, optimizer: str, trajectory: int, step: int, destination: Any
    ) -> Path:
        """Stream one kept model to ``destination`` (a file or a directory), checking
        its SHA-256; returns the file's path."""
        if not self._version_checked:
            await self.check_server()
        url = f"/experiments/{experiment_id}/models/{optimizer}/{trajectory}/{step}"
        async with self.http.stream("GET", url) as response:
            if response.status_code >= 400:
                await response.aread()
                raise answer_error(response, self.url)
            target = Path(destination)
            if target.is_dir():
                target = target / filename_of(response, experiment_id, optimizer, trajectory, step)
            partial = target.with_name(f".{target.name}.partial")
            digest = hashlib.sha256()
            try:
                with open(partial, "wb") as file:
                    async for chunk in response.aiter_bytes(1 << 20):
                        digest.update(chunk)
                        file.write(chunk)
                expected = response.headers.get("X-Checksum-SHA256")
                if expected and digest.hexdigest() != expected:
                    raise ApiError(502, f"{url}: the download does not match its SHA-256")
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
        return target

    async def download_model(
        self,
        experiment_id: int,
        optimizer: str,
        trajectory: int,
        step: int,
        destination: Any = None,
    ) -> DownloadedModel:
        """One kept model's weights as numpy arrays and its metadata (no PyTorch)."""
        if destination is not None:
            path = await self.save_model(experiment_id, optimizer, trajectory, step, destination)
            return DownloadedModel(*read_safetensors(path), path)
        with tempfile.TemporaryDirectory(prefix="optbench-model-") as directory:
            path = await self.save_model(
                experiment_id, optimizer, trajectory, step, Path(directory) / "model.safetensors"
            )
            return DownloadedModel(*read_safetensors(path), None)
