"""Users and API tokens. Tokens are random, shown once, and stored as SHA-256 hashes:
a leaked database yields no usable token."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db.models import ApiToken, Role, User

TOKEN_PREFIX = "obt_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(
    session: Session, user_name: str, token_name: str, *, admin: bool = False
) -> tuple[User, str]:
    """A new token for ``user_name`` (created if missing). Returns the plain token."""
    user = session.scalar(select(User).where(User.name == user_name))
    if user is None:
        user = User(name=user_name, role=Role.admin if admin else Role.member)
        session.add(user)
    elif admin and user.role != Role.admin:
        user.role = Role.admin
    token = new_token()
    session.add(ApiToken(user=user, name=token_name, token_hash=hash_token(token)))
    session.flush()
    return user, token


def authenticate(session: Session, token: str) -> User | None:
    """The user a token belongs to, or None for unknown or revoked tokens."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None:
        return None
    # The lookup is by hash; compare again in constant time all the same.
    if not hmac.compare_digest(row.token_hash, digest):
        return None
    return row.user


def revoke_tokens(
    session: Session,
    *,
    token: str | None = None,
    user_name: str | None = None,
    token_name: str | None = None,
) -> int:
    """Revoke one token (by its value) or every token of a user (only those called
    ``token_name``, if given); returns how many."""
    from shared.db.base import utcnow

    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if token is not None:
        query = query.where(ApiToken.token_hash == hash_token(token))
    elif user_name is not None:
        query = query.join(User).where(User.name == user_name)
        if token_name is not None:
            query = query.where(ApiToken.name == token_name)
    else:
        raise ValueError("give a token or a user name")
    rows = session.scalars(query).all()
    for row in rows:
        row.revoked_at = utcnow()
    session.flush()
    return len(rows)
