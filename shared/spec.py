"""The experiment spec: what a researcher submits (JSON over HTTP, YAML to the CLI).

Two kinds, told apart by ``kind``: ``landscape`` (stationary distributions on synthetic
functions) and ``training`` (trajectories on a real task). Names and hyperparameters
are validated against the registries; server limits (``shared.limits``) are checked by
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
from shared.errors import FieldProblem, at
from shared.landscapes.functions import LANDSCAPES, PAPER_FUNCTIONS, UnknownLandscapeError
from shared.limits import SERVER_LIMITS, is_study_limit
from shared.optim.declarations import (
    DEFAULT_BASE,
    WRAPPERS,
    composite_name,
    declaration,
    is_registered,
    landscape_optimizer_names,
    optimizer_names,
    resolve_hyperparameters,
)
from shared.optim.hyperparameters import HyperparameterError
from shared.optim.schema import add_optimizer_schemas
from shared.protocol.schedule import evaluation_points
from shared.sweeps import MAX_SWEEP_VALUES, MAX_SWEPT, expanded_keys, validate_sweep
from shared.tasks.admission import task_option_violations
from shared.tasks.catalog import add_task_schemas, task_declaration
from shared.tasks.declarations import UnknownTaskError
from shared.tuning.settings import TuningSettings

SEED_MAX = 2**63 - 1
#: Longest lists and mappings the schema accepts, checked before any entry is validated
#: (the server's own, usually lower, limits are checked afterwards by limit_violations).
MAX_LIST_ENTRIES = 1000
MAX_MAPPING_ENTRIES = 64
Scalar = bool | float | int | str
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

    name: str = Field(
        max_length=200,
        description="a registered optimizer (GET /api/v1/optimizers) or a wrapper "
        f"({', '.join(WRAPPERS)})",
    )
    base: str | None = Field(
        None,
        max_length=200,
        description="for a wrapper: the optimizer whose step it perturbs (e.g. adamw for "
        "sam(adamw)); its hyperparameters are written base.NAME. Without a base, sam is the "
        f"paper's SAM and the other wrappers wrap {DEFAULT_BASE}",
    )
    label: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.+=,@()-]+$",
        description="distinguishes configurations of the same optimizer (default: the "
        "optimizer, e.g. sam(adamw)); a sweep labels its configurations "
        "KEY@NAME=VALUE[,NAME=VALUE]",
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
    def _known(cls, name: str, info: ValidationInfo) -> str:
        if name not in WRAPPERS and not _catalog_skipped(info):
            _registered(declaration, name)
        return name

    @field_validator("base")
    @classmethod
    def _known_base(cls, base: str | None, info: ValidationInfo) -> str | None:
        name = info.data.get("name")
        if base is None or name is None or _catalog_skipped(info):  # no base, or already reported
            return base
        if name not in WRAPPERS:
            raise ValueError(f"{name!r} takes no base; the wrappers are {', '.join(WRAPPERS)}")
        _registered(declaration, composite_name(name, base))
        return base

    @model_validator(mode="after")
    def _valid_hyperparameters(self, info: ValidationInfo) -> OptimizerSpec:
        if self.base is None and self.name in WRAPPERS and not is_registered(self.name):
            self.base = DEFAULT_BASE  # nig, nim, bh, mbh alone wrap sgd
        if _catalog_skipped(info):
            # Checked at submission; a worker reads the spec as stored, so one that lacks
            # a plugin can say which (worker_optimizer), not fail to read the experiment.
            return self
        resolve_hyperparameters(self.optimizer, self.hyperparameters)
        if self.sweep is not None:
            try:
                self.sweep = validate_sweep(self.optimizer, self.sweep, self.hyperparameters)
            except HyperparameterError as error:
                raise ValueError(f"{self.name}.{error}") from None
            too_long = [k for k in expanded_keys(self) if len(k) > 200]
            if too_long:
                raise ValueError(f"sweep: the label {too_long[0][:60]!r}… is too long")
        return self

    @property
    def optimizer(self) -> str:
        """What this entry runs, as the registry names it: ``sam(adamw)``, ``adam``."""
        return composite_name(self.name, self.base) if self.base else self.name

    @property
    def key(self) -> str:
        return self.label or self.optimizer


def _catalog_skipped(info: ValidationInfo) -> bool:
    """Reading a stored spec without checking it against this process's optimizer
    catalog (``parse_spec(..., catalog=False)``)."""
    return (info.context or {}).get("catalog") is False


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
    schema["items"] = {"anyOf": [schema["items"], {"type": "string", "enum": optimizer_names()}]}


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
        default_factory=lambda: [OptimizerSpec(name=n) for n in landscape_optimizer_names()],
        description="default: every installed optimizer that can run on the landscapes",
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
        "evaluation point (Lanczos on Hessian-vector products over a fixed training batch, "
        "with whether it converged); its cost is counted apart from the optimizer's "
        "gradient evaluations",
    )
    sharpness_iterations: int = Field(
        40,
        ge=1,
        le=200,
        description="most Hessian-vector products (Lanczos steps) per sharpness estimate; "
        "one that has not converged by then is flagged and left out of the statistics",
    )
    sharpness_min_eigenvalue: bool = Field(
        False,
        description="also record the most negative Hessian eigenvalue (the saddle measure), "
        "within the same product budget",
    )
    sharpness_batch: int = Field(
        256, ge=1, le=4096, description="fixed training examples the sharpness is taken over"
    )
    tuning: TuningSettings | None = Field(
        None,
        description="tune every optimizer first (an equal budget each), then run each twice: "
        "at its base hyperparameters (`sgd`) and at its tuned ones (`sgd@tuned`)",
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


class TuningSpec(_Strict):
    """A tuning study: each optimizer searched on a validation split carved from the
    training data, with one budget for all (``tuning``); ``budget`` is each trial's."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["tuning"]
    name: str = Field("", max_length=200)
    task: str = Field(
        max_length=64, description="a task of the catalog (GET /api/v1/tasks lists them)"
    )
    task_options: dict[str, Scalar | bool] = Field(
        default_factory=dict, description="the task's typed options (GET /api/v1/tasks)"
    )
    optimizers: list[OptimizerSpec] = Field(
        min_length=1, max_length=MAX_LIST_ENTRIES, json_schema_extra=_bare_names_schema
    )
    budget: EpochBudget | GradientBudget = Field(
        default_factory=lambda: EpochBudget(epochs=5), description="each trial's budget"
    )
    evaluate_every: float = Field(
        0.5,
        ge=MIN_EVALUATE_EVERY,
        allow_inf_nan=False,
        description="epochs between evaluation points (the pruner's intermediate values)",
    )
    batch_size: int = Field(128, gt=0, le=65536)
    seed: int = Field(0, ge=0, le=SEED_MAX)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    mixed_precision: bool = False
    tuning: TuningSettings

    @field_validator("optimizers", mode="before")
    @classmethod
    def _bare_names(cls, value: Any) -> Any:
        return _optimizers(value)

    @field_validator("evaluate_every")
    @classmethod
    def _bounded_schedule(cls, every: float, info: ValidationInfo) -> float:
        return TrainingSpec._bounded_schedule(every, info)

    @field_validator("task")
    @classmethod
    def _known_task(cls, name: str, info: ValidationInfo) -> str:
        return TrainingSpec._known_task(name, info)

    @field_validator("optimizers")
    @classmethod
    def _distinct(cls, optimizers: list[OptimizerSpec]) -> list[OptimizerSpec]:
        return _unique_keys(optimizers)

    @field_validator("task_options")
    @classmethod
    def _typed_options(cls, options: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        return TrainingSpec._typed_options(options, info)


def study_spec(spec: TrainingSpec) -> TuningSpec:
    """The tuning study a training spec with ``tuning:`` runs first."""
    assert spec.tuning is not None
    trial = spec.tuning.trial_budget
    budget = spec.budget
    if trial is not None:
        budget = (
            EpochBudget(epochs=trial.epochs)
            if trial.epochs is not None
            else GradientBudget(gradient_evaluations=trial.gradient_evaluations or 1)
        )
    return TuningSpec(
        kind="tuning",
        name=f"{spec.name or spec.task}: tuning",
        task=spec.task,
        task_options=dict(spec.task_options),
        optimizers=list(spec.optimizers),
        budget=budget,
        evaluate_every=spec.evaluate_every,
        batch_size=spec.batch_size,
        seed=spec.seed,
        device=spec.device,
        mixed_precision=spec.mixed_precision,
        tuning=spec.tuning.model_copy(update={"trial_budget": None}),
    )


AnySpec = LandscapeSpec | TrainingSpec | TuningSpec
ExperimentSpec = Annotated[AnySpec, Field(discriminator="kind")]
spec_adapter: TypeAdapter[AnySpec] = TypeAdapter(ExperimentSpec)


def spec_json_schema() -> dict[str, Any]:
    """The spec's JSON schema with this server's tasks: ``task`` one of the registered
    names, and each task's options schema. (The OpenAPI document leaves ``task`` a
    string: which tasks exist depends on the plugins a server has installed.)"""
    schema = spec_adapter.json_schema()
    for kind in ("TrainingSpec", "TuningSpec"):
        add_task_schemas(schema["$defs"][kind])
    return schema


def parse_spec(data: Any, *, stored: bool = True, catalog: bool = True) -> AnySpec:
    """Validate a spec from plain data (raises ``pydantic.ValidationError``).

    ``stored=True`` (the default) reads a spec as stored with an experiment: checks that
    only guard new submissions (a schedule too short for its population size) are
    skipped, so experiments stored before a check existed stay readable. Pass
    ``stored=False`` to validate a new spec exactly as the API's submission does.

    ``catalog=False`` reads an experiment's stored spec without checking its optimizers
    against this process's catalog again (they were checked at submission): a worker
    that lacks a plugin can then say which one, and a plugin removed since leaves the
    experiment readable.
    """
    return spec_adapter.validate_python(data, context={"stored": stored, "catalog": catalog})


def limit_violations(spec: AnySpec, settings: Settings) -> list[FieldProblem]:
    """Where the spec asks for more than this server allows (its limits, downloads, paths
    outside its data root), each located at its field. A study's own limits are checked
    with the study (``shared.tuning.admission``)."""
    problems = []
    for bound in SERVER_LIMITS:
        value, limit = bound.asked(spec), bound.maximum(settings)
        if is_study_limit(bound) or value is None or value <= limit:
            continue
        message = f"{bound.field}: {value:g} is over this server's limit of {limit:g}"
        problems.append(at(bound.field, message, "limit_exceeded"))
    if isinstance(spec, LandscapeSpec):
        return problems
    return problems + task_option_violations(spec.task, spec.task_options, settings)


__all__ = [
    "EpochBudget",
    "ExperimentSpec",
    "GradientBudget",
    "HyperparameterError",
    "LandscapeSpec",
    "OptimizerSpec",
    "TrainingSpec",
    "TuningSpec",
    "limit_violations",
    "parse_spec",
]
