"""Response models of the catalogs: optimizers, functions, tasks, tuned configurations."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.base import Number, Strict
from shared.tasks.declarations import OriginInfo as OriginInfo  # optimizers' and tasks'
from shared.tasks.declarations import TaskInfo as TaskInfo  # the tasks describe themselves

Scalar = float | int | str | bool


class HyperparameterInfo(Strict):
    name: str
    type: str = Field(description="float, int, bool or str")
    default: Scalar | None
    range: str = Field(description="allowed values in interval notation, e.g. (0, inf)")
    low: float | None
    high: float | None
    choices: list[str] | None
    log: bool = Field(description="searched on a log scale (learning rates, decay rates)")
    description: str


class WrapperInfo(Strict):
    """A perturbation that takes a base optimizer: ``{"name": "sam", "base": "adamw"}``."""

    hyperparameters: list[HyperparameterInfo] = Field(
        description="its own; the base's are written base.NAME"
    )
    default_base: str
    bases: list[str] = Field(description="the optimizers it can wrap")
    paper_names: dict[str, dict[str, Scalar]] = Field(
        description="the paper's names for it around sgd, with the settings they fix"
    )


class OptimizerInfo(Strict):
    """A registered optimizer, its hyperparameters and where it comes from."""

    name: str
    description: str
    needs_closure: bool
    gradient_evaluations_per_step: int | None = Field(description="null when it varies")
    hyperparameters: list[HyperparameterInfo]
    origin: OriginInfo
    available: bool = Field(description="false: listed, but specs cannot name it (reason)")
    reason: str | None
    coupling: Literal["kernel", "elementwise", "per_tensor", "global"] | None = Field(
        description="how the synthetic landscapes run it: a NumPy kernel, or PyTorch with "
        "all restarts in one parameter (elementwise), one tensor per restart (per_tensor) "
        "or one instance per restart (global); null: it cannot run there"
    )
    wrapper: WrapperInfo | None = Field(description="set for perturbations that take a base")
    notes: list[str]


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
