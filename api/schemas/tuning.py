"""Response model of a tuning study: every trial, and the per-optimizer budget table."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from api.schemas.base import Number, Strict
from shared.db.models import Status

TrialState = Literal["queued", "running", "complete", "pruned", "failed", "cancelled"]


class IntermediateValue(Strict):
    """The objective on the validation split at one evaluation point of a trial."""

    step: int
    gradient_evaluations: int
    value: Number


class TrialOut(Strict):
    optimizer: str = Field(description="the optimizer configuration's key")
    number: int = Field(description="the trial's number among the optimizer's trials")
    run: int = Field(description="the run that trains it (GET …/runs)")
    state: TrialState
    hyperparameters: dict[str, Any] | None = Field(
        description="every hyperparameter of the trial (null until a worker asks for it)"
    )
    value: Number = Field(description="best objective along the trial (complete or pruned)")
    intermediate: list[IntermediateValue]
    gradient_evaluations: int = Field(description="spent so far (all of it once settled)")
    worker: str | None = Field(description="the worker instance that ran it last")
    attempts: int
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    error: str | None = Field(description="why it failed, in one line")


class Dimension(Strict):
    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    choices: list[Any] | None = None


class SearchSpaceOut(Strict):
    dimensions: list[Dimension]
    fixed: dict[str, Any] = Field(description="hyperparameters held at these values")


class BudgetRow(Strict):
    """One optimizer's budget: granted (the same for all), used, and what it bought."""

    optimizer: str
    unit: Literal["trials", "gradient_evaluations"]
    granted: int
    used: int = Field(description="in the budget's unit; running trials count as started")
    trials: int
    complete: int
    pruned: int
    failed: int
    running: int = Field(description="queued or running")
    gradient_evaluations: int = Field(description="spent by every trial together")
    best_value: Number
    best_trial: int | None
    best_hyperparameters: dict[str, Any] | None
    tuned_configuration: str | None = Field(
        description="the name later specs can use (`tuned: NAME`)"
    )


class Tuning(Strict):
    """A study: its settings, the per-optimizer budget table and every trial."""

    experiment: int = Field(description="the study (a tuning experiment)")
    parent: int | None = Field(description="the training experiment that started it, if any")
    status: Status
    error: str | None
    objective: str
    direction: Literal["higher", "lower"]
    budget: str = Field(description="what every optimizer was granted, in words")
    equal_budgets: bool = Field(description="every optimizer was granted the same budget")
    pruner: Literal["median", "none"]
    validation_fraction: float
    search_spaces: dict[str, SearchSpaceOut]
    budgets: list[BudgetRow]
    trials: list[TrialOut]
