"""The experiment spec: what a researcher submits (JSON over HTTP, YAML to the CLI).

Two kinds, told apart by ``kind``: ``landscape`` (stationary distributions on synthetic
functions) and ``training`` (trajectories on a real task). Names and hyperparameters
are validated against the registries; server limits are checked by
:func:`limit_violations`, since they come from the server's settings.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.config import Settings
from shared.landscapes.functions import LANDSCAPES, PAPER_FUNCTIONS, UnknownLandscapeError
from shared.optim.declarations import OPTIMIZER_NAMES, declaration, resolve_hyperparameters
from shared.optim.hyperparameters import HyperparameterError
from shared.optim.schema import add_optimizer_schemas
from shared.protocol.schedule import evaluation_points
from shared.sweeps import (
    MAX_SWEEP_VALUES,
    MAX_SWEPT,
    configuration_count,
    expanded_keys,
    validate_sweep,
)
from shared.tasks.admission import task_option_violations
from shared.tasks.catalog import add_task_schemas, task_declaration
from shared.tasks.declarations import UnknownTaskError

SEED_MAX = 2**63 - 1
#: Longest lists and mappings the schema accepts, checked before any entry is validated
#: (the server's own, usually lower, limits are checked afterwards by limit_violations).
MAX_LIST_ENTRIES = 1000
MAX_MAPPING_ENTRIES = 64
Scalar = float | int | str
#: Schedule bounds: evaluations at most every hundredth of an epoch and at most this many
#: per trajectory, and at most this many models per trajectory in Set A / Set B.
MIN_EVALUATE_EVERY = 0.01
MAX_EVALUATION_POINTS = 10_000
MAX_POPULATION_SIZE = 1000


class _Strict(BaseModel):
    # Strict types: `true` or `"500"` is not a count, as the published schema says.
    model_config = ConfigDict(extra="forbid", strict=True)


class OptimizerSpec(_Strict):
    """One optimizer configuration: a registered name plus hyperparameter overrides."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=add_optimizer_schemas)

    name: str = Field(description=f"one of: {', '.join(OPTIMIZER_NAMES)}")
    label: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.+=,@-]+$",
        description="distinguishes configurations of the same optimizer (default: name); "
        "a sweep labels its configurations KEY@NAME=VALUE[,NAME=VALUE]",
    )
    hyperparameters: dict[str, Scalar] = Field(
        default_factory=dict,
        max_length=MAX_MAPPING_ENTRIES,
        description="overrides of the optimizer's defaults",
    )
    tuned: str | None = Field(
        None,
        max_length=100,
        description="name of a stored tuned configuration (`optbench tune`) to start from; "
        "training experiments only; explicit hyperparameters override it",
    )

    sweep: dict[str, list[Scalar]] | None = Field(
        None,
        max_length=MAX_SWEPT,
        description=f"run this entry over a grid of hyperparameter values: one or "
        f"{MAX_SWEPT} hyperparameters, each with a list of values (at most "
        f"{MAX_SWEEP_VALUES}); one configuration per grid point, labelled by its values",
    )
    sweep_of: str | None = Field(
        None, max_length=200, description="set by a sweep's expansion: the entry's key"
    )
    sweep_values: dict[str, Scalar] | None = Field(
        None, max_length=MAX_SWEPT, description="set by a sweep's expansion: its point"
    )

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        return _registered(declaration, name).name

    @model_validator(mode="after")
    def _valid_hyperparameters(self) -> OptimizerSpec:
        resolve_hyperparameters(self.name, self.hyperparameters)
        if self.sweep is not None:
            try:
                self.sweep = validate_sweep(self.name, self.sweep, self.hyperparameters)
            except HyperparameterError as error:
                raise ValueError(f"{self.name}.{error}") from None
            too_long = [k for k in expanded_keys(self) if len(k) > 200]
            if too_long:
                raise ValueError(f"sweep: the label {too_long[0][:60]!r}… is too long")
        return self

    @property
    def key(self) -> str:
        return self.label or self.name


def _registered(lookup: Any, name: str) -> Any:
    """Registry look-ups raise KeyError subclasses; validation needs a ValueError."""
    try:
        return lookup(name)
    except KeyError as error:
        raise ValueError(str(error)) from None


def _optimizers(value: Any) -> Any:
    """Accept ``["sgd", {"name": "sam", ...}]``: bare names become configurations.
    An over-long list is left as it is, for the length check to refuse at once."""
    if isinstance(value, list) and len(value) <= MAX_LIST_ENTRIES:
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


def _bare_names_schema(schema: dict[str, Any]) -> None:
    """An optimizer list's items: a configuration, or a registered name on its own."""
    schema["items"] = {
        "anyOf": [schema["items"], {"type": "string", "enum": list(OPTIMIZER_NAMES)}]
    }


#: The spellings a spec may name a function by: the registry's and with hyphens.
FUNCTION_SPELLINGS = {
    **{name.replace("_", "-"): name for name in LANDSCAPES},
    **{name: name for name in LANDSCAPES},
}


def _unique_keys(optimizers: list[OptimizerSpec]) -> list[OptimizerSpec]:
    seen: set[str] = set()
    for o in optimizers:  # one pass: a long list costs linear time, not quadratic
        for key in expanded_keys(o):  # a sweep's configurations count one by one
            if key in seen:
                raise ValueError(f"optimizer {key!r} appears twice; give each a label")
            seen.add(key)
    return optimizers


class LandscapeSpec(_Strict):
    """Stationary distributions of optimizers on synthetic 2-D functions."""

    kind: Literal["landscape"]
    name: str = Field("", max_length=200)
    functions: list[str] = Field(
        default_factory=lambda: list(PAPER_FUNCTIONS),
        min_length=1,
        max_length=MAX_LIST_ENTRIES,
        description=f"any of: {', '.join(LANDSCAPES)}",
        json_schema_extra={
            "items": {"type": "string", "enum": list(FUNCTION_SPELLINGS)},
            "uniqueItems": True,
        },
    )
    optimizers: list[OptimizerSpec] = Field(
        default_factory=lambda: [OptimizerSpec(name=n) for n in OPTIMIZER_NAMES],
        json_schema_extra=_bare_names_schema,
        min_length=1,
        max_length=MAX_LIST_ENTRIES,
    )
    restarts: int = Field(500, gt=0, description="restarts per optimizer and function")
    iterations: int = Field(5000, gt=0, description="optimizer steps per restart")
    capture_radius: float = Field(0.1, gt=0, allow_inf_nan=False)
    seed: int = Field(0, ge=0, le=SEED_MAX)
    path_points: int = Field(50, ge=0, le=1000, description="path snapshots kept per restart")

    @field_validator("optimizers", mode="before")
    @classmethod
    def _bare_names(cls, value: Any) -> Any:
        return _optimizers(value)

    @field_validator("functions")
    @classmethod
    def _known_functions(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in FUNCTION_SPELLINGS]
        if unknown:
            raise ValueError(str(UnknownLandscapeError(unknown[0])))
        canonical = [FUNCTION_SPELLINGS[n] for n in names]
        if len(set(canonical)) != len(canonical):
            raise ValueError("a function appears twice")
        return canonical

    @field_validator("optimizers")
    @classmethod
    def _distinct(cls, optimizers: list[OptimizerSpec]) -> list[OptimizerSpec]:
        return _unique_keys(optimizers)


class EpochBudget(_Strict):
    epochs: float = Field(gt=0, allow_inf_nan=False)


class GradientBudget(_Strict):
    gradient_evaluations: int = Field(gt=0)


class TrainingSpec(_Strict):
    """Trajectories of optimizers on a real task; populations are formed at query time."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["training"]
    name: str = Field("", max_length=200)
    task: str = Field(
        max_length=64, description="a task of the catalog (GET /api/v1/tasks lists them)"
    )
    task_options: dict[str, Scalar | bool] = Field(
        default_factory=dict,
        description="the task's typed options (GET /api/v1/tasks lists them); paths are "
        "relative to the server's data root",
    )
    optimizers: list[OptimizerSpec] = Field(
        min_length=1, max_length=MAX_LIST_ENTRIES, json_schema_extra=_bare_names_schema
    )
    trajectories: int = Field(5, gt=0)
    budget: EpochBudget | GradientBudget = Field(default_factory=lambda: EpochBudget(epochs=10))
    evaluate_every: float = Field(
        0.5,
        ge=MIN_EVALUATE_EVERY,
        allow_inf_nan=False,
        description="epochs between evaluation points; the default gives a 10-epoch budget "
        "20 candidate models per trajectory, 2 × the default population_size",
    )
    batch_size: int = Field(128, gt=0, le=65536)
    population_size: int = Field(
        10,
        gt=0,
        le=MAX_POPULATION_SIZE,
        validate_default=True,  # the schedule check needs the default L too
        description="L: models per trajectory in Set A/B; an epoch budget must give each "
        "trajectory at least 2L evaluation points after step 0",
    )
    seed: int = Field(0, ge=0, le=SEED_MAX)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    mixed_precision: bool = Field(
        False, description="autocast forward passes to bfloat16 (no gradient scaler needed)"
    )
    keep_models: Literal["none", "population", "all"] = Field(
        "population",
        description="whose weights each trajectory keeps (safetensors, downloadable): "
        "`population` its L lowest-training-loss and L best-metric models, so Set A and "
        "Set B at this L can be downloaded; `all` every evaluated model; `none` none",
    )
    sharpness: bool = Field(
        False,
        description="record the largest Hessian eigenvalue of the training loss at every "
        "evaluation point (power iteration on Hessian-vector products over a fixed training "
        "batch); its cost is counted apart from the optimizer's gradient evaluations",
    )
    sharpness_iterations: int = Field(
        20, ge=1, le=200, description="most power-iteration steps per sharpness estimate"
    )
    sharpness_batch: int = Field(
        256, ge=1, le=4096, description="fixed training examples the sharpness is taken over"
    )

    @field_validator("optimizers", mode="before")
    @classmethod
    def _bare_names(cls, value: Any) -> Any:
        return _optimizers(value)

    @field_validator("evaluate_every")
    @classmethod
    def _bounded_schedule(cls, every: float, info: ValidationInfo) -> float:
        budget = info.data.get("budget")
        if isinstance(budget, EpochBudget):
            points = evaluation_points(budget.epochs, every)
            if points > MAX_EVALUATION_POINTS:
                raise ValueError(
                    f"evaluate_every: {every:g} over budget.epochs = {budget.epochs:g} gives "
                    f"{points} evaluation points per trajectory, more than "
                    f"{MAX_EVALUATION_POINTS}; evaluate less often"
                )
        return every

    @field_validator("population_size")
    @classmethod
    def _schedule_fits_population(cls, L: int, info: ValidationInfo) -> int:
        """At least 2L evaluation points per trajectory, else Set A and Set B share models
        by construction. Checked here for epoch budgets; a gradient-evaluation budget's
        points depend on the data set's size and the optimizer's evaluations per step, so
        its queries refuse an L that its trajectories cannot fill."""
        if (info.context or {}).get("stored"):
            return L
        budget, every = info.data.get("budget"), info.data.get("evaluate_every")
        if not isinstance(budget, EpochBudget) or every is None:
            return L
        points = evaluation_points(budget.epochs, every)
        if points < 2 * L:
            raise ValueError(
                f"population_size: L = {L} needs at least 2L = {2 * L} evaluation points per "
                f"trajectory after step 0, but budget.epochs = {budget.epochs:g} with "
                f"evaluate_every = {every:g} gives {points}; lower population_size to at "
                f"most {points // 2} or evaluate_every to at most "
                f"{budget.epochs / (2 * L):.4g}"
            )
        return L

    @field_validator("task")
    @classmethod
    def _known_task(cls, name: str, info: ValidationInfo) -> str:
        """A registered task. A stored spec keeps a task this server no longer has (a
        plugin uninstalled): its records stay readable, and new runs fail in the worker."""
        try:
            return task_declaration(name).name
        except UnknownTaskError as error:
            if (info.context or {}).get("stored"):
                return name
            raise ValueError(str(error)) from None

    @field_validator("optimizers")
    @classmethod
    def _distinct(cls, optimizers: list[OptimizerSpec]) -> list[OptimizerSpec]:
        return _unique_keys(optimizers)

    @field_validator("task_options")
    @classmethod
    def _typed_options(cls, options: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Each option checked against the task's typed model (errors are located at
        ``task_options.<name>``); kept as given, values parsed ("500" becomes 500). A
        stored spec whose options no longer validate is read as it is: its runs fail in
        the worker, which builds the task through the same model, with the reason."""
        if "task" not in info.data:  # the task itself is invalid and reported
            return options
        try:
            typed = task_declaration(info.data["task"]).validate_options(options)
        except (ValidationError, UnknownTaskError):
            if (info.context or {}).get("stored"):
                return options
            raise
        return typed.model_dump(exclude_unset=True)


ExperimentSpec = Annotated[LandscapeSpec | TrainingSpec, Field(discriminator="kind")]
spec_adapter: TypeAdapter[LandscapeSpec | TrainingSpec] = TypeAdapter(ExperimentSpec)


def spec_json_schema() -> dict[str, Any]:
    """The spec's JSON schema with this server's tasks: ``task`` one of the registered
    names, and each task's options schema. (The OpenAPI document leaves ``task`` a
    string: which tasks exist depends on the plugins a server has installed.)"""
    schema = spec_adapter.json_schema()
    add_task_schemas(schema["$defs"]["TrainingSpec"])
    return schema


def parse_spec(data: Any, *, stored: bool = True) -> LandscapeSpec | TrainingSpec:
    """Validate a spec from plain data (raises ``pydantic.ValidationError``).

    ``stored=True`` (the default) reads a spec as stored with an experiment: checks that
    only guard new submissions (a schedule too short for its population size) are
    skipped, so experiments stored before a check existed stay readable. Pass
    ``stored=False`` to validate a new spec exactly as the API's submission does.
    """
    return spec_adapter.validate_python(data, context={"stored": stored})


def limit_violations(spec: LandscapeSpec | TrainingSpec, settings: Settings) -> list[dict]:
    """Where the spec asks for more than this server allows (its limits, downloads, paths
    outside its data root), as 422-style error entries."""
    checks: list[tuple[str, float, float]] = [
        ("optimizers", len(spec.optimizers), settings.max_optimizers),
        # A sweep's grid points count one by one.
        ("configurations", configuration_count(spec.optimizers), settings.max_configurations),
    ]
    if isinstance(spec, LandscapeSpec):
        checks += [
            ("restarts", spec.restarts, settings.max_restarts),
            ("iterations", spec.iterations, settings.max_iterations),
            ("functions", len(spec.functions), settings.max_functions),
        ]
    else:
        checks.append(("trajectories", spec.trajectories, settings.max_trajectories))
        if isinstance(spec.budget, EpochBudget):
            checks.append(("budget.epochs", spec.budget.epochs, settings.max_epochs))
        else:
            checks.append(
                (
                    "budget.gradient_evaluations",
                    spec.budget.gradient_evaluations,
                    settings.max_gradient_evaluations,
                )
            )
    task_options = (
        task_option_violations(spec.task, spec.task_options, settings)
        if isinstance(spec, TrainingSpec)
        else []
    )
    return [
        {
            "loc": ["body", *field.split(".")],
            "msg": f"{field}: {value:g} is over this server's limit of {limit:g}",
            "type": "limit_exceeded",
        }
        for field, value, limit in checks
        if value > limit
    ] + task_options


__all__ = [
    "EpochBudget",
    "ExperimentSpec",
    "GradientBudget",
    "HyperparameterError",
    "LandscapeSpec",
    "OptimizerSpec",
    "TrainingSpec",
    "limit_violations",
    "parse_spec",
]
