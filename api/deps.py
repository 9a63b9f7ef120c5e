"""Typed dependencies: settings, a database session, the caller, the dispatcher."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.queue import Dispatcher
from api.services.cache import ResultCache
from shared.accounts import authenticate
from shared.artifacts import ArtifactStore
from shared.config import Settings
from shared.db.models import Role, User

bearer = HTTPBearer(auto_error=False, description="an API token: `optbench token create`")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


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


def current_user(session: SessionDep, credentials: Credentials) -> User:
    if credentials is None:
        raise _unauthorized("a bearer token is required")
    user = authenticate(session, credentials.credentials)
    if user is None:
        raise _unauthorized("the token is not valid")
    return user


def reader(session: SessionDep, settings: SettingsDep, credentials: Credentials) -> User | None:
    """The caller of a read endpoint: anyone, if anonymous reads are configured."""
    if credentials is None and settings.anonymous_reads:
        return None
    return current_user(session, credentials)


CurrentUser = Annotated[User, Depends(current_user)]
Reader = Annotated[User | None, Depends(reader)]


def may_modify(user: User, owner_id: int) -> bool:
    return user.role == Role.admin or user.id == owner_id
