"""Typed ``task_options``: one pydantic model per task, with types, ranges, choices and
defaults. Torch-free: the API validates submissions with these models and shows their
JSON schemas; the loaders read the validated values as attributes.

Specs arrive as JSON and the CLI passes ``--option NAME=VALUE`` strings, so values are
parsed in pydantic's lax mode ("4000" is 4000, "false" is False), except that a boolean
is never taken for an integer. Paths are names relative to the data root, checked
lexically here (:func:`shared.tasks.data_root.relative_name`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError, ValidationError

from shared.tasks.data_root import relative_name
from shared.tasks.layouts import TWEETEVAL, TWEETEVAL_SUBTASKS

SEED_MAX = 2**32 - 1


class TaskOptionError(ValueError):
    """A ``task_options`` value is unknown or has the wrong type or range; the message
    names every offending option (``task_options.<name>: reason``) on one line."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []

    @classmethod
    def from_validation(cls, error: ValidationError) -> TaskOptionError:
        errors = error.errors(include_url=False, include_input=False)
        message = "; ".join(
            f"task_options.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors
        )
        return cls(message, errors)


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected an integer, not true/false")
    return value


Integer = Annotated[int, BeforeValidator(_no_bool)]


def _no_bool_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


Real = Annotated[float, BeforeValidator(_no_bool_number)]


def _inside(where: str) -> AfterValidator:
    def check(value: str) -> str:
        try:
            return relative_name(value, where)
        except ValueError as error:  # without pydantic's "Value error, " prefix
            reason = {"reason": str(error)}
            raise PydanticCustomError("outside_data_root", "{reason}", reason) from None

    return AfterValidator(check)


#: A sub-directory of the data root.
DataDirName = Annotated[str, _inside("the data root (OPTBENCH_DATA_DIR)")]
#: A directory under the data root's ``models/``, or a hub name.
ModelName = Annotated[str, _inside("the data root's models/ directory")]


class TaskOptions(BaseModel):
    """Base of every task's options: unknown options are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DataDirOptions(TaskOptions):
    data_dir: DataDirName | None = Field(
        None,
        description="sub-directory of the data root holding the dataset; "
        "default: the task's name (e.g. cifar10)",
    )


class CifarOptions(DataDirOptions):
    cifar_stem: bool = Field(
        True, description="use the CIFAR stem (3×3 conv, no max-pool) instead of ImageNet's"
    )
    augment: bool = Field(
        True,
        description="train on randomly cropped (4-pixel zero padding) and horizontally "
        "flipped images, drawn per step from the trajectory's data seed (on the GPU when "
        "training there); evaluation sees the images as they are",
    )


class TextOptions(DataDirOptions):
    model: ModelName | None = Field(
        None,
        description="a BERT-family model: a directory under the data root's models/, or a "
        "hub name (only with allow_download, where the server permits downloads); "
        "default: the packaged all-MiniLM-L6-v2",
    )
    allow_download: bool = Field(
        False,
        description="fetch a model that is not under models/ from the hub; refused unless "
        "the server sets OPTBENCH_ALLOW_DOWNLOADS",
    )
    max_length: Integer = Field(64, ge=4, le=512, description="tokens per example, truncated")


class GoEmotionsOptions(TextOptions):
    pass


class TweetEvalOptions(TextOptions):
    subtask: Literal[TWEETEVAL_SUBTASKS] = Field(  # type: ignore[valid-type]
        TWEETEVAL.default_variant,
        description="the TweetEval subtask (a directory of its datasets/)",
    )


class DigitsOptions(TaskOptions):
    split_seed: Integer = Field(
        0, ge=0, le=SEED_MAX, description="seed of the fixed 80/20 train/test split"
    )
    train_size: Integer | None = Field(
        None,
        ge=10,
        le=1437,
        description="train on this many examples of the training split (a random subset "
        "fixed by split_seed); default: all 1,437",
    )
    label_noise: Real = Field(
        0.0,
        ge=0,
        lt=1,
        description="fraction of training labels replaced by another digit (fixed by "
        "split_seed); test labels stay clean",
    )
    hidden_width: Integer = Field(64, ge=1, le=4096, description="units of the hidden layer")


class Mnist1dOptions(TaskOptions):
    num_samples: Integer = Field(
        4000, ge=100, le=100_000, description="examples generated, 80% for training"
    )
    data_seed: Integer = Field(
        42, ge=0, le=SEED_MAX, description="generation seed (the dataset, not the trajectory)"
    )
    architecture: Literal["mlp", "cnn"] = Field(
        "mlp", description="an MLP or the 1-D CNN of the MNIST-1D paper"
    )


class MiniLMTextOptions(TaskOptions):
    num_examples: Integer = Field(
        600, ge=30, le=100_000, description="synthetic sentences generated, 80% for training"
    )
    data_seed: Integer = Field(
        0, ge=0, le=SEED_MAX, description="corpus seed (the dataset, not the trajectory)"
    )
    max_length: Integer = Field(32, ge=4, le=512, description="tokens per example, truncated")


class CharLMOptions(TaskOptions):
    corpus_sentences: Integer = Field(
        2000,
        ge=50,
        le=1_000_000,
        description="sentences generated for the corpus (about 40 characters each), the "
        "first 90% of the text for training",
    )
    data_seed: Integer = Field(
        0, ge=0, le=SEED_MAX, description="corpus seed (the dataset, not the trajectory)"
    )
    sequence_length: Integer = Field(
        64, ge=8, le=2048, description="characters per training example (context length)"
    )
    architecture: Literal["transformer", "lstm"] = Field(
        "transformer", description="a causal Transformer encoder or an LSTM"
    )
    width: Integer = Field(
        48, ge=8, le=4096, description="embedding and hidden width (GPU workers: 256–512)"
    )
    layers: Integer = Field(2, ge=1, le=48, description="Transformer or LSTM layers")
    heads: Integer = Field(
        4, ge=1, le=64, description="attention heads (Transformer; must divide width)"
    )

    @model_validator(mode="after")
    def _heads_divide_width(self) -> CharLMOptions:
        if self.architecture == "transformer" and self.width % self.heads:
            raise PydanticCustomError(
                "heads_divide_width",
                "heads: {heads} does not divide width {width}",
                {"heads": self.heads, "width": self.width},
            )
        return self
