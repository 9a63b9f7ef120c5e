"""The FastAPI application: ``create_app()``; uvicorn serves ``api.app:app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import authorized
from api.limits import BodySizeLimit
from api.methods import method_not_allowed
from api.problems import invalid_request, submission_refused
from api.queue import Dispatcher
from api.routes import (
    catalog,
    experiments,
    health,
    leaderboard,
    models,
    queue,
    tokens,
    training,
    tuning,
)
from api.schemas.openapi import publish_openapi
from api.services.cache import ResultCache
from shared.artifacts import ArtifactStoreUnavailable, artifact_store
from shared.config import Settings, get_settings
from shared.db.session import read_session_factory, session_factory
from shared.errors import InvalidSubmission
from shared.optim.plugins import discover_for as discover_optimizers
from shared.tasks.catalog import task_registry
from shared.version import code_version

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Task plugins are described (in a child process) when the server starts, so a
    # refused or unusable plugin is in the log at start-up, not at the first request.
    await run_in_threadpool(task_registry)
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    discover_optimizers(settings)  # plugins join the catalog (described out of process)
    app = FastAPI(
        title="optbench",
        version=code_version(),
        description="Benchmark stochastic optimizers as populations, not single models.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = session_factory(settings.database_url)
    app.state.read_sessions = read_session_factory(settings.database_url)
    app.state.dispatcher = Dispatcher(settings)
    app.state.results = ResultCache()
    app.state.artifacts = artifact_store(settings)

    app.include_router(health.router)
    # Every /api/v1 route needs a token unless its endpoint is marked public (api.deps).
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(authorized)])
    for router in (
        health.router,
        health.me_router,
        catalog.router,
        experiments.router,
        training.router,
        tuning.router,
        leaderboard.router,
        models.router,
        queue.router,
        tokens.router,
    ):
        api.include_router(router)
    app.include_router(api)

    app.add_exception_handler(StarletteHTTPException, method_not_allowed)

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(InvalidSubmission, submission_refused)

    @app.exception_handler(DataError)
    async def unstorable_value(request: Request, error: DataError) -> JSONResponse:
        # e.g. a NUL character, which PostgreSQL text and JSON cannot hold
        return JSONResponse(
            {
                "detail": [
                    {
                        "loc": ["request"],
                        "type": "value_error",
                        "msg": "a value cannot be stored or compared by the database "
                        "(for instance a NUL character)",
                    }
                ]
            },
            status_code=422,
        )

    @app.exception_handler(ArtifactStoreUnavailable)
    async def store_unavailable(request: Request, error: ArtifactStoreUnavailable) -> JSONResponse:
        log.warning("%s", error)
        return JSONResponse(
            {"detail": "the artifact store is unavailable; retry shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(PoolTimeout)
    async def database_busy(request: Request, error: PoolTimeout) -> JSONResponse:
        # every connection of the pool stayed in use for its whole timeout: overloaded
        log.warning("database busy: %s", error)
        return JSONResponse(
            {"detail": "the server is busy (no database connection was free); retry shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", error)
        return JSONResponse(
            {"detail": "the database is unavailable; retry shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    publish_openapi(app, settings)
    mount_web_page(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


def mount_web_page(app: FastAPI) -> None:
    """Serve the built web page (frontend/dist) at /, when it has been built, with its
    Content-Security-Policy (api.web_page)."""
    from api.web_page import WebPage, built

    if built():
        app.mount("/", WebPage(), name="web")


def __getattr__(name: str) -> FastAPI:
    # `uvicorn api.app:app` builds the app from the environment on first access only,
    # so importing this module (tests, tools) has no side effects.
    if name == "app":
        return create_app()
    raise AttributeError(name)
