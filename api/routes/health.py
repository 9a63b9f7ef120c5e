"""Liveness and dependencies: can this API reach its database and its broker?"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import text

from api.deps import CurrentUser, public
from api.schemas import READ, Health, Me, responses
from shared.version import code_version

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "the database or the broker is down"}},
)
@public
def health(request: Request, response: Response) -> Health:
    """200 when database and broker answer, 503 otherwise (no token needed)."""
    try:
        with request.app.state.sessions() as session:
            session.execute(text("SELECT 1"))
        database = True
    except Exception:
        database = False
    broker = request.app.state.dispatcher.reachable()
    if not (database and broker):
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(
        status="ok" if database and broker else "degraded",
        database=database,
        broker=broker,
        version=code_version(),
    )


me_router = APIRouter(tags=["auth"])


@me_router.get("/me", response_model=Me, responses=responses(*READ))
def me(user: CurrentUser) -> Me:
    """Who the token belongs to."""
    return Me(id=user.id, name=user.name, role=user.role.value)
