"""Response model of the lab leaderboard: each entry is the configuration's details and
its ranking (``shared.stats.leaderboard.Ranked``, whose fields the model takes over)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from api.schemas.base import Number, Strict, model_of
from shared.stats.leaderboard import Ranked

RankedOut = model_of(Ranked)


class LeaderboardEntry(RankedOut):  # type: ignore[valid-type, misc]
    """One optimizer configuration of one finished experiment, ranked by its Set A
    median metric."""

    experiment_id: int
    experiment: str = Field(description="the experiment's name")
    optimizer: str = Field(description="the configuration's key")
    name: str = Field(description="the optimizer as registered, e.g. adam or sam(adamw)")
    hyperparameters: dict[str, Any]
    submitter: str
    L: int = Field(description="models per trajectory in Set A")
    gradient_evaluations_per_trajectory: Number


class Leaderboard(Strict):
    task: str
    metric: str
    direction: Literal["higher", "lower"] = Field(
        description="which values of the metric are better; the board ranks best first"
    )
    alpha: float
    ties: str | None = Field(None, description="how the board decides ties, in words")
    entries: list[LeaderboardEntry]
