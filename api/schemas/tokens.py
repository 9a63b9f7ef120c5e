"""Requests and answers of token management (admins only)."""

from __future__ import annotations

from pydantic import Field, model_validator

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
    token: str | None = Field(None, max_length=200, description="one token to revoke")
    user: str | None = Field(None, max_length=100, description="revoke every token of this user")

    @model_validator(mode="after")
    def one_of_them(self) -> RevokeRequest:
        if (self.token is None) == (self.user is None):
            raise ValueError("give either token or user")
        return self


class RevokedTokens(Strict):
    revoked: int = Field(description="how many tokens were revoked")
