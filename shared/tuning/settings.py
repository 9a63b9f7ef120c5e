"""A study's settings: the ``tuning:`` block of a tuning or training spec.

One budget for every optimizer (``trials`` or ``gradient_evaluations``), the objective,
the search space per optimizer, the pruner and the validation split.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = float | int | str
MAX_CHOICES = 64
MAX_PARALLEL = 64


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SearchRange(_Strict):
    """A numeric range; ``log`` defaults to the hyperparameter's usual scale (log for
    learning rates and weight decay, linear elsewhere)."""

    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)
    log: bool | None = None


class SearchChoices(_Strict):
    """A categorical search over the listed values."""

    choices: list[Scalar] = Field(min_length=1, max_length=MAX_CHOICES)


SearchEntry = SearchRange | SearchChoices | Scalar


class TrialBudget(_Strict):
    """Each trial's training budget: epochs or gradient evaluations."""

    epochs: float | None = Field(None, gt=0, allow_inf_nan=False)
    gradient_evaluations: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> TrialBudget:
        if (self.epochs is None) == (self.gradient_evaluations is None):
            raise ValueError("give epochs or gradient_evaluations")
        return self


class TuningSettings(_Strict):
    """How to tune: one budget for every optimizer, spent on trials that train on a
    validation split carved from the training data (never the test set)."""

    trials: int | None = Field(None, gt=0, description="the budget: this many trials per optimizer")
    gradient_evaluations: int | None = Field(
        None,
        gt=0,
        description="the budget: gradient evaluations per optimizer, summed over its trials "
        "(SAM's second gradient counts); needs trials budgeted in gradient evaluations",
    )
    objective: str | None = Field(
        None,
        max_length=32,
        description="the validation metric to optimise (default: the task's metric; `loss` "
        "is the validation loss)",
    )
    search: dict[str, dict[str, SearchEntry]] = Field(
        default_factory=dict,
        max_length=64,
        description="per optimizer key, the search space: each hyperparameter a range "
        "{low, high, log}, {choices: […]} or a fixed value; an optimizer named here is "
        "searched over exactly these, the others over the default space (every numeric "
        "hyperparameter, log scale for learning rates and weight decay)",
    )
    trial_budget: TrialBudget | None = Field(
        None, description="each trial's training budget (default: the spec's budget)"
    )
    pruner: Literal["median", "none"] = Field(
        "median", description="stop trials early that fall below the median at a point"
    )
    pruner_startup_trials: int = Field(
        5, ge=0, le=1000, description="finished trials before the pruner may prune"
    )
    pruner_warmup_evaluations: int = Field(
        1, ge=0, le=10_000, description="evaluation points of a trial before it may be pruned"
    )
    validation_fraction: float = Field(
        0.2, ge=0.05, le=0.5, description="share of the training data held out to validate"
    )
    parallel: int = Field(
        4, ge=1, le=MAX_PARALLEL, description="trials per optimizer queued or running at once"
    )
    name: str | None = Field(
        None,
        max_length=80,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="save each optimizer's best configuration as the tuned configuration "
        "NAME-KEY (default: study-ID-KEY)",
    )

    @model_validator(mode="after")
    def _one_budget(self) -> TuningSettings:
        if (self.trials is None) == (self.gradient_evaluations is None):
            raise ValueError(
                "tuning: give one budget for every optimizer, trials or gradient_evaluations"
            )
        return self

    def budget_text(self) -> str:
        if self.trials is not None:
            return f"{self.trials} trials"
        return f"{self.gradient_evaluations} gradient evaluations"

    def as_search_record(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
