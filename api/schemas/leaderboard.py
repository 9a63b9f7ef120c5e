"""Response model of the lab leaderboard."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.base import Number, Strict


class LeaderboardEntry(Strict):
    """One optimizer configuration of one finished experiment, ranked."""

    experiment_id: int
    experiment: str = Field(description="the experiment's name")
    optimizer: str = Field(description="the configuration's key")
    name: str = Field(description="the registered optimizer")
    hyperparameters: dict[str, Any]
    trajectories: int
    gradient_evaluations_per_trajectory: Number
    submitter: str
    L: int
    key: str = Field(description="experiment id / configuration key")
    n: int = Field(description="models in Set A")
    median: Number = Field(description="Set A median of the metric")
    ci_low: Number
    ci_high: Number
    pvalue_vs_best: Number = Field(
        description="trajectory-level Mann–Whitney p (per-trajectory means) against the best, "
        "Holm-adjusted; null for the best, or when either side has under 2 trajectories"
    )
    pvalue_floor: Number = Field(
        description="the smallest p that comparison can reach with these trajectory counts"
    )
    rank: int = Field(description="configurations the tests cannot tell from the best share 1")
    note: str | None = Field(None, description="why a value is missing, in words")


class Leaderboard(Strict):
    task: str
    metric: str
    alpha: float
    ties: str = Field(description="how the board decided which entries share the best rank")
    entries: list[LeaderboardEntry]
