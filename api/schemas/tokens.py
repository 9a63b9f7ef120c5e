"""Requests and answers of token management (admins only)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Strict


class TokenRequest(Strict):
    user: str = Field(min_length=1, max_length=100, description="the user (created if missing)")
    admin: bool = Field(False, description="give the user the admin role")
    label: str = Field("cli", min_length=1, max_length=100, description="what the token is for")


class NewToken(Strict):
    user: str
    label: str
    token: str = Field(description="shown only this once; the server keeps its hash")


class RevokeRequest(Strict):
    """One of ``token`` and ``user`` (the other null or absent)."""

    token: str | None = Field(None, max_length=200, description="one token to revoke")
    user: str | None = Field(None, max_length=100, description="revoke every token of this user")


class RevokedTokens(Strict):
    revoked: int = Field(description="how many tokens were revoked")
