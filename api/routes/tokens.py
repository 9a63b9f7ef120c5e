"""API tokens, managed remotely by admins: ``optbench token create`` / ``revoke``."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.deps import CurrentUser, SessionDep
from api.schemas import READ, responses
from api.schemas.tokens import NewToken, RevokedTokens, RevokeRequest, TokenRequest
from shared.accounts import create_token, revoke_tokens
from shared.db.models import Role, User

router = APIRouter(prefix="/tokens", tags=["auth"])


def _admin(user: User) -> None:
    if user.role != Role.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an admin may manage tokens")


@router.post(
    "",
    response_model=NewToken,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*READ, 400, 403, 413, 422),
)
def create(body: TokenRequest, user: CurrentUser, session: SessionDep) -> NewToken:
    """A new token for a user (created if missing); the answer is the only time it is
    shown."""
    _admin(user)
    owner, token = create_token(session, body.user, body.label, admin=body.admin)
    session.commit()
    return NewToken(user=owner.name, label=body.label, token=token)


@router.post(
    "/revoke", response_model=RevokedTokens, responses=responses(*READ, 400, 403, 413, 422)
)
def revoke(body: RevokeRequest, user: CurrentUser, session: SessionDep) -> RevokedTokens:
    """Revoke one token, or every token of a user: requests with them get 401 from now
    on."""
    _admin(user)
    if (body.token is None) == (body.user is None):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body"], "type": "value_error", "msg": "give either token or user"}],
        )
    count = revoke_tokens(session, token=body.token, user_name=body.user)
    session.commit()
    return RevokedTokens(revoked=count)
