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


_CIFAR_STEM = "use the CIFAR stem (3×3 conv, no max-pool) instead of ImageNet's; default true"
_CIFAR10_OPTIONS = {
    "data_dir": "directory in the CIFAR-10 python format (data_batch_1…5, test_batch)",
    "cifar_stem": _CIFAR_STEM,
}
_CIFAR100_OPTIONS = {
    "data_dir": "directory in the CIFAR-100 python format (train, test)",
    "cifar_stem": _CIFAR_STEM,
}
_TEXT_OPTIONS = {
    "data_dir": "directory with the dataset's published files",
    "model": "local path or hub name of a BERT-family model; default: the packaged MiniLM",
    "allow_download": "let a hub name be fetched from the network; default false",
    "max_length": "tokens per example after truncation; default 64",
}

TASKS: Mapping[str, TaskDeclaration] = {
    t.name: t
    for t in (
        TaskDeclaration(
            "cifar10",
            "CIFAR-10 with torchvision ResNet-50",
            "accuracy",
            _CIFAR10_OPTIONS,
            needs_files=True,
            default_device="cuda",
        ),
        TaskDeclaration(
            "cifar100",
            "CIFAR-100 with torchvision ResNet-50",
            "accuracy",
            _CIFAR100_OPTIONS,
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
        TaskDeclaration(
            "digits",
            "scikit-learn's bundled 8×8 digits, small MLP",
            "accuracy",
            {"split_seed": "seed of the fixed 80/20 train/test split; default 0"},
        ),
        TaskDeclaration(
            "mnist1d",
            "generated MNIST-1D, small MLP/CNN",
            "accuracy",
            {
                "num_samples": "examples generated, 80% train; default 4000",
                "data_seed": "generation seed (the dataset, not the trajectory); default 42",
                "architecture": "mlp or cnn; default mlp",
            },
        ),
        TaskDeclaration(
            "minilm_text",
            "synthetic 3-class sentiment, fine-tuning the packaged MiniLM",
            "macro_f1",
            {
                "num_examples": "synthetic sentences generated, 80% train; default 600",
                "data_seed": "corpus seed (the dataset, not the trajectory); default 0",
                "max_length": "tokens per example after truncation; default 32",
            },
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
