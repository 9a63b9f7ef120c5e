"""What each file-backed task expects under the data root: directory, files, format.

One table read by the loaders (their error messages), by ``optbench data check`` and by
the submission checks, so the three never disagree. Torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DatasetLayout:
    """The files a task reads from its directory under the data root."""

    task: str
    #: The default sub-directory of the data root (``task_options.data_dir`` overrides it).
    directory: str
    #: Files the task cannot run without, relative to its directory.
    required: tuple[str, ...]
    #: Files read when present (label names, the validation split for tuning).
    optional: tuple[str, ...] = ()
    #: The directory the published archive extracts to; accepted one level down too.
    archive_directory: str | None = None
    #: The format, in words, as error messages and ``optbench data check`` print it.
    expected: str = ""
    #: Where the files come from.
    source: str = ""
    #: Sub-directories holding one variant each (TweetEval's subtasks), else empty.
    variants: tuple[str, ...] = field(default_factory=tuple)
    #: The variant a spec gets when it names none.
    default_variant: str | None = None


def _cifar_expected(name: str, files: tuple[str, ...], label_key: str, classes: int) -> str:
    return (
        f"the {name} python format: files {', '.join(files)}, each a pickled dict with "
        f"b'data' (N×3072 uint8, channel-major 32×32 RGB) and b'{label_key}' "
        f"(N ints in 0…{classes - 1})"
    )


CIFAR10_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10 = DatasetLayout(
    task="cifar10",
    directory="cifar10",
    required=(*CIFAR10_TRAIN, "test_batch"),
    optional=("batches.meta",),
    archive_directory="cifar-10-batches-py",
    expected=_cifar_expected("CIFAR-10", (*CIFAR10_TRAIN, "test_batch"), "labels", 10),
    source="cifar-10-python.tar.gz (the CIFAR-10 python version)",
)
CIFAR100 = DatasetLayout(
    task="cifar100",
    directory="cifar100",
    required=("train", "test"),
    optional=("meta",),
    archive_directory="cifar-100-python",
    expected=_cifar_expected("CIFAR-100", ("train", "test"), "fine_labels", 100),
    source="cifar-100-python.tar.gz (the CIFAR-100 python version)",
)
GOEMOTIONS = DatasetLayout(
    task="goemotions",
    directory="goemotions",
    required=("train.tsv", "test.tsv"),
    optional=("dev.tsv", "emotions.txt"),
    expected=(
        "the GoEmotions published format: train.tsv, dev.tsv and test.tsv with rows "
        "'text<TAB>comma-separated label ids<TAB>comment id' and no header, optionally "
        "emotions.txt with one label name per line"
    ),
    source="data/{train,dev,test}.tsv and data/emotions.txt of the google-research GoEmotions",
)

#: TweetEval's subtasks, as directories of its repository's ``datasets/``.
TWEETEVAL_SUBTASKS = (
    "emoji", "emotion", "hate", "irony", "offensive", "sentiment",
    "stance/abortion", "stance/atheism", "stance/climate", "stance/feminist", "stance/hillary",
)  # fmt: skip
TWEETEVAL = DatasetLayout(
    task="tweeteval",
    directory="tweeteval",
    required=(
        "train_text.txt",
        "train_labels.txt",
        "test_text.txt",
        "test_labels.txt",
        "mapping.txt",
    ),
    optional=("val_text.txt", "val_labels.txt"),
    expected=(
        "the TweetEval published layout: <subtask>/ holding {train,val,test}_text.txt "
        "(one tweet per line), {train,val,test}_labels.txt (one integer label per line, as "
        "many lines as the texts) and mapping.txt ('id<TAB>name' per line)"
    ),
    source="datasets/ of the cardiffnlp/tweeteval repository",
    variants=TWEETEVAL_SUBTASKS,
    default_variant="emotion",
)

LAYOUTS: Mapping[str, DatasetLayout] = {
    layout.task: layout for layout in (CIFAR10, CIFAR100, GOEMOTIONS, TWEETEVAL)
}

#: A local model directory under ``<root>/models/``: each group needs one of its files.
MODEL_FILES: tuple[tuple[str, ...], ...] = (
    ("config.json",),
    ("model.safetensors", "pytorch_model.bin"),
    ("tokenizer.json", "vocab.txt"),
)
MODEL_EXPECTED = (
    "a directory under models/ with config.json, the weights (model.safetensors or "
    "pytorch_model.bin) and the tokenizer files (tokenizer.json or vocab.txt), as "
    "save_pretrained writes them"
)
