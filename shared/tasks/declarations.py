"""What a training task is, declared without loading it: its options, its metrics and
where its loader lives. Torch-free: the API validates specs against declarations and
never imports a task's code.

A :class:`TaskDeclaration` is also the public plugin API (``shared.tasks``): an installed
package names one in the entry-point group ``optbench.tasks``
(:mod:`shared.tasks.catalog`). The worker imports ``loader``, a
:class:`shared.tasks.base.Task` subclass, only when it runs the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.tasks.layouts import LAYOUTS, DatasetLayout
from shared.tasks.metrics import Direction, Metric, check_metrics


class TaskOptionInfo(BaseModel):
    """One task option as ``GET /api/v1/tasks`` lists it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: str
    default: Any = None
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: list[Any] | None = None


class MetricInfo(BaseModel):
    """A metric a task reports, as the catalog lists it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    direction: Direction
    description: str
    minimum: float | None = None
    maximum: float | None = None


class OriginInfo(BaseModel):
    """Where a task comes from: built in, an installed package, or server configuration."""

    model_config = ConfigDict(extra="forbid")

    source: str
    package: str | None = None
    version: str | None = None
    target: str | None = None
    text: str


class TaskInfo(BaseModel):
    """A task as ``GET /api/v1/tasks`` lists it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    #: The default metric (the first declared): Set B and the leaderboard use it unless
    #: a query names another.
    metric: str
    metrics: list[MetricInfo]
    origin: OriginInfo
    available: bool = True
    #: Why an unavailable task cannot be used.
    reason: str | None = None
    needs_files: bool
    #: The default sub-directory of the data root, for tasks that read files.
    data_directory: str | None
    #: The files and format expected there.
    expected_format: str | None
    options: list[TaskOptionInfo]


@dataclass(frozen=True)
class TaskDeclaration:
    """A training task, declared.

    Args:
        name: the name specs use (a plugin's entry-point name takes precedence).
        description: one line for the catalog.
        metrics: the test metrics the task reports, the default one first.
        options_model: the pydantic model of ``task_options`` (a
            :class:`shared.tasks.TaskOptions` subclass: unknown options are refused).
        loader: the :class:`shared.tasks.Task` subclass, as ``"module:Class"`` (imported
            only by workers) or the class itself.
        default_device: ``cpu`` or ``cuda``, for specs with ``device: auto``.
        data_directory, expected_format: for tasks that read files under the data root,
            the default directory and the format in words.
        check_options: the options of the task at its smallest size, which
            ``optbench tasks check`` builds.
    """

    name: str
    description: str
    metrics: tuple[Metric, ...]
    options_model: type[BaseModel]
    loader: Any
    default_device: str = "cpu"
    data_directory: str | None = None
    expected_format: str | None = None
    check_options: Mapping[str, Any] = field(default_factory=dict)
    #: For a task described in a child process: its options' JSON schema, as described.
    described_schema: dict[str, Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", check_metrics(self.metrics))
        if not (isinstance(self.options_model, type) and issubclass(self.options_model, BaseModel)):
            raise ValueError(f"task {self.name!r}: options_model must be a pydantic model")
        if self.default_device not in ("cpu", "cuda"):
            raise ValueError(f"task {self.name!r}: default_device must be cpu or cuda")

    # -- metrics ---------------------------------------------------------------------

    @property
    def metric(self) -> str:
        """The default metric's name."""
        return self.metrics[0].name

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics)

    def metric_named(self, name: str | None) -> Metric:
        """The declared metric ``name`` (the default one for None); ``UnknownMetricError``
        listing the task's metrics otherwise."""
        if name is None:
            return self.metrics[0]
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise UnknownMetricError(self.name, name, self.metric_names)

    # -- files -------------------------------------------------------------------------

    @property
    def layout(self) -> DatasetLayout | None:
        """The built-in dataset layout the task reads, or None."""
        return LAYOUTS.get(self.name) if self.data_directory is None else None

    @property
    def needs_files(self) -> bool:
        return self.layout is not None or self.data_directory is not None

    # -- options -----------------------------------------------------------------------

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(self.options_model.model_fields)

    def options_schema(self) -> dict[str, Any]:
        """The JSON schema of ``task_options``."""
        if self.described_schema is not None:
            return self.described_schema
        return self.options_model.model_json_schema()

    def validate_options(self, options: Mapping[str, Any]) -> BaseModel:
        """The options, typed; ``pydantic.ValidationError`` locating each bad one by name
        (an unknown name says which ones the task takes)."""
        unknown = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "unknown_task_option",
                    "not an option of {task}; valid ones: {valid}",
                    {"task": self.name, "valid": ", ".join(self.option_names) or "none"},
                ),
                loc=(str(key),),
                input=value,
            )
            for key, value in options.items()
            if key not in self.option_names
        ]
        if not unknown:
            return self.options_model.model_validate(dict(options))
        known = {k: v for k, v in options.items() if k in self.option_names}
        try:  # report the known options' problems beside the unknown names
            self.options_model.model_validate(known)
        except ValidationError as error:
            unknown += [
                InitErrorDetails(
                    type=PydanticCustomError(e["type"], e["msg"]), loc=e["loc"], input=e["input"]
                )
                for e in error.errors()
            ]
        raise ValidationError.from_exception_data("task_options", unknown)

    def info(self, origin: Mapping[str, Any]) -> TaskInfo:
        schema = self.options_schema()
        layout = self.layout
        return TaskInfo(
            name=self.name,
            description=self.description,
            metric=self.metric,
            metrics=[MetricInfo(**m.as_dict()) for m in self.metrics],
            origin=OriginInfo(**origin),
            needs_files=self.needs_files,
            data_directory=layout.directory if layout else self.data_directory,
            expected_format=layout.expected if layout else self.expected_format,
            options=[_option_info(n, p) for n, p in schema.get("properties", {}).items()],
        )


def _option_info(name: str, schema: dict[str, Any]) -> TaskOptionInfo:
    """Flatten one property of an options model's JSON schema (``anyOf`` with null for
    optional strings)."""
    branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") != "null"]
    branch = branches[0] if branches else schema
    return TaskOptionInfo(
        name=name,
        type=branch.get("type", "string"),
        default=schema.get("default"),
        description=schema.get("description", ""),
        minimum=branch.get("minimum", branch.get("exclusiveMinimum")),
        maximum=branch.get("maximum", branch.get("exclusiveMaximum")),
        choices=branch.get("enum"),
    )


class UnknownTaskError(KeyError):
    """A task name the registry does not have (``unavailable``: why, when a plugin of that
    name is installed but cannot be used)."""

    def __init__(
        self, name: str, valid: list[str] | tuple[str, ...] = (), unavailable: str | None = None
    ) -> None:
        super().__init__(name)
        self.name = name
        self.valid = list(valid)
        self.unavailable = unavailable

    def __str__(self) -> str:
        text = f"unknown task {self.name!r}; valid ones: {', '.join(self.valid)}"
        if self.unavailable:
            text += f" (task {self.name!r} is installed but unavailable: {self.unavailable})"
        return text


class UnknownMetricError(ValueError):
    """A metric the task does not report; says which ones it does."""

    def __init__(self, task: str, metric: str, valid: tuple[str, ...]) -> None:
        super().__init__(
            f"metric: task {task!r} does not report {metric!r}; its metrics: {', '.join(valid)}"
        )
        self.task, self.metric, self.valid = task, metric, valid
