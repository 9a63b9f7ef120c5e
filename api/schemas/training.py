"""Response models of the training routes: records, Set A / Set B, comparisons, curves.

The statistics' results are the frozen dataclasses of ``shared.stats``; their models are
generated from them (:func:`api.schemas.base.model_of`), so the fields are declared once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from api.schemas.base import Number, Strict, model_of
from api.schemas.sweeps import TrainingSweeps
from shared.stats.comparisons import Correlation, PairComparison, SetComparison
from shared.stats.families import PairFamily
from shared.stats.populations import CandidateCounts
from shared.stats.power import TrajectoryPlan
from shared.stats.sharpness import SharpnessPairs, SharpnessSetComparison
from shared.stats.warning_groups import WarningGroup

Which = Literal["A", "B"]
Metric = Annotated[str, Field(description="the test metric (one the task declares)")]
Direction = Annotated[
    Literal["higher", "lower"],
    Field(description="which values of the metric are better, as the task declares it"),
]

CorrelationOut = model_of(Correlation)
SetComparisonOut = model_of(SetComparison)
PairComparisonOut = model_of(PairComparison)
CandidateCountsOut = model_of(CandidateCounts)
PairFamilyOut = model_of(PairFamily)
TrajectoryPlanOut = model_of(TrajectoryPlan)
SharpnessSetComparisonOut = model_of(SharpnessSetComparison)
SharpnessPairsOut = model_of(SharpnessPairs)
WarningGroupOut = model_of(WarningGroup)


class RecordOut(Strict):
    """One evaluated model of a trajectory."""

    optimizer: str
    trajectory: int
    step: int
    epoch: Number
    gradient_evaluations: int
    loss_evaluations: int
    wall_time: Number = Field(description="seconds since the trajectory started")
    train_loss: Number = Field(description="in eval mode, on a fixed training subset")
    running_loss: Number = Field(description="mean minibatch loss since the last point")
    test_loss: Number
    metrics: dict[str, Number] = Field(
        description="the task's declared test metrics by name (null: not finite, diverged)"
    )
    diverged: bool
    sharpness: Number = Field(None, description="largest Hessian eigenvalue, when measured")
    sharpness_gradient_evaluations: int | None = Field(
        None, description="gradient evaluations the sharpness estimate cost"
    )
    sharpness_converged: bool | None = Field(
        None,
        description="whether the sharpness's Lanczos residual ‖Hv − λv‖ met its tolerance "
        "within the product budget; false values are left out of the sharpness statistics "
        "(null: not measured, or measured before convergence was recorded)",
    )
    sharpness_products: int | None = Field(
        None, description="Hessian-vector products the sharpness estimate used"
    )
    hessian_min_eigenvalue: Number = Field(
        None,
        description="most negative Hessian eigenvalue, when the spec asked for it and it converged",
    )


class RecordPage(Strict):
    """Stored records, ordered by optimizer, trajectory and step."""

    total: int
    limit: int
    offset: int
    items: list[RecordOut]


class PopulationMember(Strict):
    """A model of Set A or Set B, with the value of the metric asked for."""

    trajectory: int
    step: int
    gradient_evaluations: int
    train_loss: Number
    value: Number = Field(description="the model's value of the population's metric")
    sharpness: Number = Field(
        None,
        description="the model's sharpness, when the experiment measured it (null where "
        "the estimate did not converge: the sharpness statistics leave it out)",
    )


class OptimizerPopulation(Strict):
    models: list[PopulationMember]
    correlation: CorrelationOut = Field(  # type: ignore[valid-type]
        description="Spearman correlation of training loss with the metric"
    )
    candidates: CandidateCountsOut = Field(  # type: ignore[valid-type]
        description="records the sets choose from: step-0 and post-divergence ones left out"
    )


class Populations(Strict):
    """Set A (lowest training loss) or Set B (best test metric) per optimizer."""

    set: Which
    L: int = Field(description="models per trajectory")
    metric: Metric
    direction: Direction
    optimizers: dict[str, OptimizerPopulation]


class SetComparisons(Strict):
    """Per optimizer, Set A against Set B on the test metric and on training loss."""

    L: int
    metric: Metric
    direction: Direction
    alpha: float
    optimizers: dict[str, SetComparisonOut]  # type: ignore[valid-type]
    on_sharpness: dict[str, SharpnessSetComparisonOut] | None = Field(  # type: ignore[valid-type]
        None,
        description="per optimizer, Set A vs Set B on sharpness and its rank correlation "
        "with the metric; null when the experiment measured no sharpness",
    )
    warnings: list[WarningGroupOut] = Field(  # type: ignore[valid-type]
        description="every distinct warning of the optimizers' comparisons once, naming the "
        "optimizers it concerns (the same sentences as each optimizer's `warnings`)",
    )


class OptimizerComparisons(Strict):
    """Every pair of optimizers on Set A (or B), Holm-adjusted."""

    set: Which
    L: int
    metric: Metric
    direction: Direction
    alpha: float
    candidates: dict[str, CandidateCountsOut] = Field(  # type: ignore[valid-type]
        description="per optimizer, the records its population chose from"
    )
    pairs: list[PairComparisonOut]  # type: ignore[valid-type]
    family: PairFamilyOut = Field(  # type: ignore[valid-type]
        description="what the Holm-adjusted trajectory-level family can reach at all"
    )
    warnings: list[str] = Field(
        description="in words, e.g. when no pair can be significant at the trajectory level"
    )
    on_sharpness: SharpnessPairsOut | None = Field(  # type: ignore[valid-type]
        None,
        description="the same pairs on sharpness, and per optimizer its rank correlation "
        "with the metric; null when the experiment measured no sharpness",
    )


class PlannedPair(Strict):
    optimizer1: str
    optimizer2: str
    plan: TrajectoryPlanOut  # type: ignore[valid-type]


class Plan(Strict):
    """Trajectories per side for the requested power, with the experiment as pilot."""

    set: Which = Field(description="the set optimizer pairs are compared on")
    L: int
    metric: Metric
    direction: Direction
    alpha: float
    power: float
    pair_family_size: int = Field(
        description="pairs the optimizer comparison Holm-adjusts over (1 for a stated pair)"
    )
    pair_level: float = Field(description="the level each pair is planned at: α / family size")
    levels: str = Field(description="in words, the level each kind of comparison is planned at")
    set_comparisons: dict[str, TrajectoryPlanOut] = Field(  # type: ignore[valid-type]
        description="per optimizer, Set A vs Set B on the metric (pairs of trajectories)"
    )
    optimizer_pairs: list[PlannedPair]
    note: str | None = None


class Curve(Strict):
    """Columns of one optimizer's curve, one entry per gradient-evaluation point."""

    gradient_evaluations: list[int]
    mean: list[Number]
    std: list[Number] = Field(description="ddof=1; null from a single trajectory")
    min: list[Number]
    max: list[Number]
    n: list[int] = Field(description="trajectories with a finite value at the point")
    smoothed: list[Number] = Field(description="trailing moving average of mean")


class LearningCurves(Strict):
    """Per optimizer, a record column over gradient evaluations across trajectories."""

    column: str
    window: int
    optimizers: dict[str, Curve]


class SharpnessPoints(Strict):
    """One optimizer's candidate models as points: sharpness against the metric."""

    sharpness: list[Number]
    value: list[Number] = Field(description="the metric's value of the same models")


class BothPopulations(Strict):
    """Set A and Set B."""

    A: Populations
    B: Populations


class TrainingView(Strict):
    """What the page shows of a training experiment, in one answer: the answers of
    set-comparison, optimizer-comparison (Set A), populations (A and B, members with
    their sharpness), sweep and learning-curves at the same L, metric and α, and
    sharpness against the metric over every candidate model."""

    L: int = Field(description="models per trajectory")
    metric: Metric
    direction: Direction
    alpha: float
    records: int = Field(description="records the answer was computed from")
    set_comparison: SetComparisons
    optimizer_comparison: OptimizerComparisons
    populations: BothPopulations
    sweep: TrainingSweeps
    learning_curves: LearningCurves
    sharpness_against_metric: dict[str, SharpnessPoints] | None = Field(
        None,
        description="per optimizer, its candidate models (after step 0, before any "
        "divergence) with a converged sharpness and a finite metric; null when the "
        "experiment measured no sharpness",
    )
