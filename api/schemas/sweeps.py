"""Response model of a training experiment's sweep series."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.base import Number, Strict


class TrainingSweepPoint(Strict):
    """One configuration of a sweep: its values and its Set A median (once recorded)."""

    optimizer: str = Field(description="the configuration's key")
    values: dict[str, Number | str] = Field(description="swept hyperparameter → value")
    median: Number = Field(None, description="Set A median of the metric")
    interval: list[Number] | None = Field(
        None, description="[low, high]: cluster-bootstrap interval (whole trajectories)"
    )
    trajectories: int | None = None
    note: str | None = Field(None, description="why the interval is undefined, in words")


class TrainingSweepSeries(Strict):
    """The configurations expanded from one swept entry, in grid order."""

    of: str = Field(description="the swept entry's key")
    name: str = Field(description="the registered optimizer")
    parameters: list[str] = Field(description="the swept hyperparameters, first on the x axis")
    points: list[TrainingSweepPoint]


class TrainingSweeps(Strict):
    """Each sweep's Set A median with its interval against the swept values."""

    L: int
    metric: str
    direction: Literal["higher", "lower"] = Field(description="which values are better")
    confidence: float
    sweeps: list[TrainingSweepSeries]
