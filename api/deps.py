"""Typed dependencies: settings, a database session, the caller, the dispatcher, the
experiment a path names.

Authentication is on by default: the application mounts every ``/api/v1`` router under
:func:`authorized`, so a route needs a token unless its endpoint is marked :func:`public`
(health; the OpenAPI document and the docs are served outside the routers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.queue import Dispatcher
from api.services.cache import ResultCache
from shared.accounts import authenticate
from shared.artifacts import ArtifactStore
from shared.config import Settings
from shared.db.models import Experiment, Role, User

bearer = HTTPBearer(auto_error=False, description="an API token: `optbench token create`")

#: Set on an endpoint function by :func:`public`.
PUBLIC_ATTRIBUTE = "optbench_public"
_CALLER = "optbench.caller"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable[..., Any])


def public(endpoint: F) -> F:
    """Mark an endpoint as answering without a token (put it under the route decorator)."""
    setattr(endpoint, PUBLIC_ATTRIBUTE, True)
    return endpoint


def is_public(endpoint: Callable[..., Any]) -> bool:
    return bool(getattr(endpoint, PUBLIC_ATTRIBUTE, False))


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """A session per request. Reads (GET) get a read session, which on SQLite does not
    take the write lock, so a slow read never holds up a worker's write."""
    sessions = (
        request.app.state.read_sessions if request.method in _READS else request.app.state.sessions
    )
    with sessions() as session:
        yield session


def release(session: Session) -> None:
    """End the request's transaction before a long computation (the statistics), so its
    connection goes back to the pool and, on SQLite, no read snapshot is held meanwhile;
    the session still works afterwards (in a new transaction)."""
    session.commit()


def get_dispatcher(request: Request) -> Dispatcher:
    return request.app.state.dispatcher


def get_results(request: Request) -> ResultCache:
    return request.app.state.results


def get_artifacts(request: Request) -> ArtifactStore:
    return request.app.state.artifacts


SettingsDep = Annotated[Settings, Depends(get_settings)]
ResultsDep = Annotated[ResultCache, Depends(get_results)]
ArtifactsDep = Annotated[ArtifactStore, Depends(get_artifacts)]
SessionDep = Annotated[Session, Depends(get_db)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


def _caller(request: Request, session: Session, credentials: Any) -> User | None:
    """The token's user, looked up once per request (the router's check and the route's
    own dependency share it)."""
    if _CALLER not in request.scope:
        request.scope[_CALLER] = (
            None if credentials is None else authenticate(session, credentials.credentials)
        )
    return request.scope[_CALLER]


def current_user(request: Request, session: SessionDep, credentials: Credentials) -> User:
    if credentials is None:
        raise _unauthorized("a bearer token is required")
    user = _caller(request, session, credentials)
    if user is None:
        raise _unauthorized("the token is not valid")
    return user


def reader(
    request: Request, session: SessionDep, settings: SettingsDep, credentials: Credentials
) -> User | None:
    """The caller of a read endpoint: anyone, if anonymous reads are configured."""
    if credentials is None and settings.anonymous_reads:
        return None
    return current_user(request, session, credentials)


def authorized(
    request: Request, session: SessionDep, settings: SettingsDep, credentials: Credentials
) -> None:
    """The router-level check: every route needs a valid token unless it is public (or
    it is a read and anonymous reads are configured)."""
    route = request.scope.get("route")
    if route is not None and is_public(route.endpoint):
        return
    if request.method in _READS:
        reader(request, session, settings, credentials)
    else:
        current_user(request, session, credentials)


CurrentUser = Annotated[User, Depends(current_user)]
Reader = Annotated[User | None, Depends(reader)]


def may_modify(user: User, owner_id: int) -> bool:
    return user.role == Role.admin or user.id == owner_id


ExperimentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="experiment id")]


def load_experiment(experiment_id: ExperimentId, session: SessionDep) -> Experiment:
    """The experiment of the path's ``experiment_id``; 404 when there is none."""
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"experiment {experiment_id} not found")
    return experiment


ExperimentDep = Annotated[Experiment, Depends(load_experiment)]
