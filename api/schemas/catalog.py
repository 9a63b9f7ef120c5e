"""Response models of the catalogs: optimizers, functions, tasks, tuned configurations."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.base import Number, Strict
from shared.tasks.declarations import TaskInfo as TaskInfo  # the tasks describe themselves

Scalar = float | int | str | bool


class HyperparameterInfo(Strict):
    name: str
    type: str = Field(description="float, int or str")
    default: Scalar | None
    range: str = Field(description="allowed values in interval notation, e.g. (0, inf)")
    low: float | None
    high: float | None
    choices: list[str] | None
    description: str


class OptimizerInfo(Strict):
    """A registered optimizer and its hyperparameters."""

    name: str
    description: str
    needs_closure: bool
    gradient_evaluations_per_step: int | None = Field(description="null when it varies")
    hyperparameters: list[HyperparameterInfo]


class MinimumInfo(Strict):
    """A known minimum: where, its value, and its Hessian's eigenvalues (sharpness)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True, populate_by_name=True)

    label: str
    location: list[float] = Field(min_length=2, max_length=2)
    value: float
    eigenvalues: list[float] = Field(min_length=2, max_length=2)
    is_global: bool = Field(alias="global")


class FunctionInfo(Strict):
    """A synthetic 2-D function with its domain and minima catalog."""

    name: str
    title: str
    domain: list[list[float]] = Field(description="[[x_low, x_high], [y_low, y_high]]")
    recommended: dict[str, float] = Field(description="hyperparameters the study uses here")
    reference: str
    minima: list[MinimumInfo]


class Grid(Strict):
    """f on a grid over the domain: z[i][j] = f(x[j], y[i])."""

    function: str
    x: list[float]
    y: list[float]
    z: list[list[Number]]


class SpecSchema(BaseModel):
    """The JSON schema (draft 2020-12) every experiment spec is validated against: one
    of the kinds' schemas, told apart by ``kind``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    defs: dict[str, dict[str, Any]] = Field(alias="$defs")
    one_of: list[dict[str, Any]] = Field(alias="oneOf", min_length=1)
    discriminator: dict[str, Any]


class TunedOut(Strict):
    """A stored tuned configuration (``optbench tune``)."""

    name: str
    task: str
    optimizer: str
    hyperparameters: dict[str, Scalar]
    metric: str
    value: Number = Field(description="the best validation metric the search found")
    owner: str
    created_at: AwareDatetime
    trials: int
