"""Response models of the experiment routes: submission, listing, runs, and the
landscape results (stationary distributions and end points)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.base import Number, Strict, model_of
from api.schemas.catalog import MinimumInfo
from shared.db.models import Status
from shared.landscapes.summary import PairSummary
from shared.tasks.declarations import OriginInfo

Kind = Literal["landscape", "training", "tuning"]


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
    error: str | None = Field(description="why the run failed, in one line")
    traceback: str | None = Field(
        None, description="the worker's traceback of a failure; shown to admins only"
    )
    log: str | None = Field(
        None, description="what happened that was not a failure (e.g. a checkpoint skipped)"
    )
    optimizer_origin: OriginInfo | None = Field(
        None,
        description="where the optimizer comes from (a plugin's package and version): the "
        "worker's that ran it, or the API's until a worker has",
    )
    task_origin: OriginInfo | None = Field(
        None,
        description="training runs: where the worker's task came from (built in, or a "
        "plugin's package and version), so the results stay attributable",
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
    parent_id: int | None = Field(
        None, description="a tuning study started by a training spec: that experiment"
    )
    study_id: int | None = Field(
        None, description="a training spec with `tuning:`: the study it runs first"
    )


class ExperimentPage(Strict):
    """One page of experiments, newest first."""

    items: list[ExperimentOut]
    total: int
    limit: int
    offset: int


class SweepPoint(Strict):
    """Which swept entry a configuration came from, and its values there."""

    of: str = Field(description="the entry's key the configuration was expanded from")
    values: dict[str, float | int | str] = Field(description="swept hyperparameter → value")


class OptimizerDistribution(Strict):
    """Where one optimizer's restarts ended on one function. Fields past ``sweep`` are
    present once the run has a result."""

    optimizer: str
    name: str
    status: Status | Literal["missing"]
    sweep: SweepPoint | None = None
    restarts: int | None = None
    hyperparameters: dict[str, Any] | None = None
    counts: dict[str, int] | None = Field(None, description="restarts per minimum and `else`")
    fractions: dict[str, Number] | None = None
    intervals: dict[str, list[Number]] | None = Field(
        None, description="per minimum and `else`: [low, high] of the confidence interval"
    )
    converged: dict[str, int] | None = Field(
        None, description="per minimum: end points within the capture radius of it"
    )
    polish_gradient_evaluations_per_restart: Number = Field(
        None, description="the basin assignment's polish, counted apart from the budget"
    )
    diverged: int | None = None
    gradient_evaluations_per_restart: Number = Field(None, description="mean over restarts")
    loss_evaluations_per_restart: Number = Field(None, description="mean over restarts")


DistributionPairTest = model_of(PairSummary)


class SweepMeasurement(Strict):
    """One configuration of a sweep: its values and its distribution (once finished)."""

    optimizer: str
    values: dict[str, float | int | str]
    fractions: dict[str, Number] | None = None
    intervals: dict[str, list[Number]] | None = None


class SweepSeries(Strict):
    """The configurations expanded from one swept entry, in grid order."""

    of: str
    name: str = Field(description="the registered optimizer")
    parameters: list[str] = Field(description="the swept hyperparameters")
    points: list[SweepMeasurement]


class FunctionDistribution(Strict):
    function: str
    minima: list[MinimumInfo]
    optimizers: list[OptimizerDistribution]
    tests: list[DistributionPairTest]  # type: ignore[valid-type]
    sweeps: list[SweepSeries] = Field(default_factory=list)


class Distribution(Strict):
    """The stationary distribution of a landscape experiment, per function."""

    experiment_id: int
    capture_radius: float
    confidence: float
    test: Literal["g", "chi2"]
    assignment: str | None = Field(
        None, description="how end points were assigned to minima (basin of attraction…)"
    )
    functions: list[FunctionDistribution]


class OptimizerEndPoints(Strict):
    end_points: list[list[Number]] = Field(description="(restarts, 2): x, y per restart")
    path_iterations: list[int] | None = Field(None, description="iterations of the snapshots")
    paths: list[list[list[Number]]] | None = Field(
        None,
        description="(snapshots, restarts, 2), when asked for with paths=true: path_points "
        "snapshots evenly spaced over the stored ones",
    )


class EndPoints(Strict):
    """Each optimizer's end points (and paths) on one function, for plots: restarts
    ``offset`` to ``offset + limit`` of ``restarts``."""

    function: str
    restarts: int = Field(description="restarts per optimizer in all (page with offset)")
    offset: int
    limit: int
    optimizers: dict[str, OptimizerEndPoints]
