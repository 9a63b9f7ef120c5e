"""The error bodies the API answers with, and the ``responses=`` entries that document
them on each route.

Every error is ``{"detail": ...}``: a one-line cause, or (422) a list of issues, each
naming the field (``loc``) and the reason (``msg``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Issue(BaseModel):
    """One reason a request was refused, and where in the request it lies."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(description="where: e.g. ['body', 'optimizers', 0, 'name']")
    msg: str = Field(description="why, in one line")
    type: str = Field(description="a machine-readable kind, e.g. 'missing', 'limit_exceeded'")


class Problem(BaseModel):
    """An error answer: a one-line cause."""

    detail: str


class Invalid(BaseModel):
    """A 422 answer: every issue found, each naming its field."""

    detail: list[Issue]


DESCRIPTIONS: dict[int, str] = {
    400: "the body could not be read as JSON",
    401: "no bearer token, or one that is not valid",
    403: "the token's user may not do this (only the owner or an admin may)",
    404: "no such experiment, function or resource",
    409: "the experiment is of the other kind, or has no results yet",
    413: "the request body is larger than this server accepts",
    422: "invalid input; each issue names its field",
    429: "over a per-user quota (submissions a minute, or runs queued or running); the "
    "detail names the limit; see Retry-After",
    503: "the database (or the broker) is unavailable; retry shortly",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that can answer ``codes`` (beside its success)."""
    return {
        code: {"model": Invalid if code == 422 else Problem, "description": DESCRIPTIONS[code]}
        for code in sorted(codes)
    }


READ = (401, 503)
"""What any endpoint behind a token can answer: no or a bad token (401; reads too,
unless anonymous reads are configured) and a database that is down (503)."""
