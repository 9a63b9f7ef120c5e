"""The training tasks the platform knows, declared without loading any of them.

Specs are validated against this table (the API must not import torch or
transformers): each task's typed options (:mod:`shared.tasks.options`) and the dataset
layout it reads (:mod:`shared.tasks.layouts`); the loaders are in
:mod:`shared.tasks.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.tasks.layouts import LAYOUTS, DatasetLayout
from shared.tasks.options import (
    CifarOptions,
    DigitsOptions,
    GoEmotionsOptions,
    MiniLMTextOptions,
    Mnist1dOptions,
    TaskOptions,
    TweetEvalOptions,
)


class TaskOptionInfo(BaseModel):
    """One task option as ``GET /api/v1/tasks`` lists it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: str
    default: bool | int | float | str | None
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: list[str] | None = None


class TaskInfo(BaseModel):
    """A task as ``GET /api/v1/tasks`` lists it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    metric: str
    needs_files: bool
    #: The default sub-directory of the data root, for tasks that read files.
    data_directory: str | None
    #: The files and format expected there.
    expected_format: str | None
    options: list[TaskOptionInfo]


@dataclass(frozen=True)
class TaskDeclaration:
    name: str
    description: str
    metric: str
    #: The typed options a spec may set in ``task_options``.
    options_model: type[TaskOptions]
    default_device: str = "cpu"

    @property
    def layout(self) -> DatasetLayout | None:
        """The dataset files the task reads, or None for tasks that generate their data."""
        return LAYOUTS.get(self.name)

    @property
    def needs_files(self) -> bool:
        return self.layout is not None

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(self.options_model.model_fields)

    def validate_options(self, options: Mapping[str, Any]) -> TaskOptions:
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

    def info(self) -> TaskInfo:
        schema = self.options_model.model_json_schema()
        return TaskInfo(
            name=self.name,
            description=self.description,
            metric=self.metric,
            needs_files=self.needs_files,
            data_directory=self.layout.directory if self.layout else None,
            expected_format=self.layout.expected if self.layout else None,
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
        minimum=branch.get("minimum"),
        maximum=branch.get("maximum"),
        choices=branch.get("enum"),
    )


TASKS: Mapping[str, TaskDeclaration] = {
    t.name: t
    for t in (
        TaskDeclaration(
            "cifar10",
            "CIFAR-10 with torchvision ResNet-50",
            "accuracy",
            CifarOptions,
            default_device="cuda",
        ),
        TaskDeclaration(
            "cifar100",
            "CIFAR-100 with torchvision ResNet-50",
            "accuracy",
            CifarOptions,
            default_device="cuda",
        ),
        TaskDeclaration(
            "goemotions",
            "GoEmotions, 28-label multi-label, BERT-family model",
            "macro_f1",
            GoEmotionsOptions,
            default_device="cuda",
        ),
        TaskDeclaration(
            "tweeteval",
            "TweetEval (subtask selectable), BERT-family model",
            "macro_f1",
            TweetEvalOptions,
            default_device="cuda",
        ),
        TaskDeclaration(
            "digits", "scikit-learn's bundled 8×8 digits, small MLP", "accuracy", DigitsOptions
        ),
        TaskDeclaration("mnist1d", "generated MNIST-1D, small MLP/CNN", "accuracy", Mnist1dOptions),
        TaskDeclaration(
            "minilm_text",
            "synthetic 3-class sentiment, fine-tuning the packaged MiniLM",
            "macro_f1",
            MiniLMTextOptions,
        ),
    )
}


def add_task_options_schemas(schema: dict[str, Any]) -> None:
    """Extend a training spec's JSON schema with each task's option schema: one
    ``if task is X then task_options is X's options`` clause per task."""
    schema["allOf"] = [
        {
            "if": {"properties": {"task": {"const": name}}, "required": ["task"]},
            "then": {"properties": {"task_options": task.options_model.model_json_schema()}},
        }
        for name, task in TASKS.items()
    ]


class UnknownTaskError(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown task {self.name!r}; valid ones: {', '.join(TASKS)}"


def task_declaration(name: str) -> TaskDeclaration:
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise UnknownTaskError(name) from None
