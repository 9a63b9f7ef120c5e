"""Response models: what the API promises to return (and documents at /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.db.models import Status


class Accepted(BaseModel):
    id: int
    status: Status
    runs: int
    url: str


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    optimizer: str
    function: str | None
    trajectory: int | None
    queue: str
    status: Status
    progress: float
    attempts: int
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None


class ExperimentOut(BaseModel):
    id: int
    name: str
    kind: str
    status: Status
    progress: float
    owner: str
    seed: int
    code_version: str
    cancel_requested: bool
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    runs: dict[str, int]
    spec: dict[str, Any]


class ExperimentPage(BaseModel):
    items: list[ExperimentOut]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    status: str
    database: bool
    broker: bool
    version: str


class Me(BaseModel):
    id: int
    name: str
    role: str
