"""Response models of health and identity."""

from __future__ import annotations

from typing import Literal

from api.schemas.base import Strict


class Health(Strict):
    status: Literal["ok", "degraded"]
    database: bool
    broker: bool
    version: str


class Me(Strict):
    id: int
    name: str
    role: Literal["admin", "member"]
