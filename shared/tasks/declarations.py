"""The training tasks the platform knows, declared without loading any of them.

Specs are validated against this table (the API must not import torch or
transformers); the loaders arrive with the population protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskDeclaration:
    name: str
    description: str
    metric: str
    #: Options a spec may set in ``task_options`` (name → description).
    options: Mapping[str, str] = field(default_factory=dict)
    #: Needs files on disk (a dataset directory or model weights) before it can run.
    needs_files: bool = False
    default_device: str = "cpu"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "metric": self.metric,
            "options": dict(self.options),
            "needs_files": self.needs_files,
        }


_CIFAR_OPTIONS = {
    "data_dir": "directory in the CIFAR python format (data_batch_1…5, test_batch, meta)",
    "cifar_stem": "use the CIFAR stem (3×3 conv, no max-pool) instead of ImageNet's",
}
_TEXT_OPTIONS = {
    "data_dir": "directory with the dataset's published files",
    "model": "local path or hub name of a BERT-family model",
}

TASKS: Mapping[str, TaskDeclaration] = {
    t.name: t
    for t in (
        TaskDeclaration(
            "cifar10",
            "CIFAR-10 with torchvision ResNet-50",
            "accuracy",
            _CIFAR_OPTIONS,
            needs_files=True,
            default_device="cuda",
        ),
        TaskDeclaration(
            "cifar100",
            "CIFAR-100 with torchvision ResNet-50",
            "accuracy",
            _CIFAR_OPTIONS,
            needs_files=True,
            default_device="cuda",
        ),
        TaskDeclaration(
            "goemotions",
            "GoEmotions, 28-label multi-label, BERT-family model",
            "macro_f1",
            _TEXT_OPTIONS,
            needs_files=True,
            default_device="cuda",
        ),
        TaskDeclaration(
            "tweeteval",
            "TweetEval (subtask selectable), BERT-family model",
            "macro_f1",
            {**_TEXT_OPTIONS, "subtask": "default: emotion"},
            needs_files=True,
            default_device="cuda",
        ),
        TaskDeclaration("digits", "scikit-learn's bundled 8×8 digits, small MLP", "accuracy"),
        TaskDeclaration("mnist1d", "generated MNIST-1D, small MLP/CNN", "accuracy"),
        TaskDeclaration(
            "minilm_text", "text classification fine-tuning packaged MiniLM", "macro_f1"
        ),
    )
}


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
