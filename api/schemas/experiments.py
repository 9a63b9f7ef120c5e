"""Response models of the experiment routes: submission, listing, runs, and the
landscape results (stationary distributions and end points)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.base import Number, Strict
from api.schemas.catalog import MinimumInfo
from shared.db.models import Status

Kind = Literal["landscape", "training"]


class Accepted(Strict):
    """A submitted experiment: its id, its runs queued, and where to follow it."""

    id: int
    status: Status
    runs: int = Field(description="runs queued")
    url: str = Field(description="where to GET the experiment")


class RunOut(BaseModel):
    """One run: a trajectory (training) or one optimizer on one function (landscape)."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: int
    key: str
    optimizer: str = Field(description="the configuration's key (label, or optimizer name)")
    function: str | None = Field(description="landscape runs: the function")
    trajectory: int | None = Field(description="training runs: the trajectory index")
    queue: str
    status: Status
    progress: float = Field(ge=0, le=1)
    attempts: int
    error: str | None
    log: str | None = Field(
        None, description="what happened that was not a failure (e.g. a checkpoint skipped)"
    )
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None


class ExperimentOut(Strict):
    """An experiment with its progress, run counts by status and normalised spec."""

    id: int
    name: str
    kind: Kind
    status: Status
    progress: float = Field(ge=0, le=1)
    owner: str
    seed: int
    code_version: str
    cancel_requested: bool
    error: str | None
    created_at: AwareDatetime
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    runs: dict[str, int] = Field(description="runs per status")
    spec: dict[str, Any] = Field(description="the spec as stored, defaults filled in")
    stored_bytes: int = Field(
        0, description="bytes its files take in the artifact store (kept models, checkpoints)"
    )
    kept_models: int = Field(0, description="evaluated models whose weights are kept")


class ExperimentPage(Strict):
    """One page of experiments, newest first."""

    items: list[ExperimentOut]
    total: int
    limit: int
    offset: int


class OptimizerDistribution(Strict):
    """Where one optimizer's restarts ended on one function. Fields past ``status`` are
    present once the run has a result."""

    optimizer: str
    name: str
    status: Status | Literal["missing"]
    restarts: int | None = None
    hyperparameters: dict[str, Any] | None = None
    counts: dict[str, int] | None = Field(None, description="restarts per minimum and `else`")
    fractions: dict[str, Number] | None = None
    intervals: dict[str, list[Number]] | None = Field(
        None, description="per minimum and `else`: [low, high] of the confidence interval"
    )
    diverged: int | None = None
    gradient_evaluations_per_restart: int | None = None
    loss_evaluations_per_restart: int | None = None


class DistributionPairTest(Strict):
    """Whether two optimizers' distributions differ, and how often restarts agree."""

    a: str
    b: str
    test: str
    statistic: Number
    dof: int
    pvalue: Number
    pvalue_holm: Number = None
    agreement: Number = Field(
        None, description="fraction of restarts (same start for both) ending in the same basin"
    )


class FunctionDistribution(Strict):
    function: str
    minima: list[MinimumInfo]
    optimizers: list[OptimizerDistribution]
    tests: list[DistributionPairTest]


class Distribution(Strict):
    """The stationary distribution of a landscape experiment, per function."""

    experiment_id: int
    capture_radius: float
    confidence: float
    test: Literal["g", "chi2"]
    functions: list[FunctionDistribution]


class OptimizerEndPoints(Strict):
    end_points: list[list[Number]] = Field(description="(restarts, 2): x, y per restart")
    path_iterations: list[int] | None = Field(None, description="iterations of the snapshots")
    paths: list[list[list[Number]]] | None = Field(
        None, description="(snapshots, restarts, 2), when asked for with paths=true"
    )


class EndPoints(Strict):
    """Each optimizer's end points (and paths) on one function, for plots."""

    function: str
    optimizers: dict[str, OptimizerEndPoints]
