"""Response models of the kept-model routes: which evaluated models' weights an
experiment kept, and what downloading one gives."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Number, Strict


class KeptModelOut(Strict):
    """One evaluated model whose weights were kept (a safetensors file)."""

    optimizer: str = Field(description="the configuration's key")
    trajectory: int
    step: int
    epoch: float
    gradient_evaluations: int
    train_loss: Number
    test_loss: Number
    metrics: dict[str, Number] = Field(description="the task's test metrics by name")
    size: int = Field(description="file size in bytes")
    sha256: str = Field(description="SHA-256 of the file, hex")
    url: str = Field(description="where to GET the safetensors file")


class KeptModelPage(Strict):
    """An experiment's kept models, by optimizer, trajectory and step."""

    items: list[KeptModelOut]
    total: int
    limit: int
    offset: int
    stored_bytes: int = Field(description="all of the experiment's files: models and checkpoints")
