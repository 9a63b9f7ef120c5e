"""Tiny datasets written in the real published formats (CIFAR python pickles, GoEmotions
TSVs, TweetEval text files), so the loaders are tested against the layout they will meet."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

GOEMOTIONS_NAMES = [
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
]  # fmt: skip


def _pickle(path: Path, obj: object) -> None:
    with path.open("wb") as handle:
        pickle.dump(obj, handle, protocol=2)


def write_cifar_batch(path: Path, count: int, label_key: str, num_classes: int, seed: int) -> None:
    """A batch as the CIFAR python tarball has it: bytes keys, N×3072 uint8, a list of ints."""
    rng = np.random.default_rng(seed)
    _pickle(
        path,
        {
            b"batch_label": b"testing batch",
            b"data": rng.integers(0, 256, size=(count, 3072), dtype=np.uint8),
            label_key.encode(): [int(i % num_classes) for i in range(count)],
            b"filenames": [f"img_{i}.png".encode() for i in range(count)],
        },
    )


GOEMOTIONS_TRAIN = [
    ("My favourite food is anything I didn't have to cook myself.", "27", "eebbqej"),
    ("Now if he does off himself, everyone will think hes having a laugh", "27", "ed00q6i"),
    ("WHY THE FUCK IS BAYLESS ISOING", "2", "eezlygj"),
    ("To make her feel threatened", "14", "ed7ypvh"),
    ("Dirty Southern Wankers", "3", "ed0bdzj"),
    ("Yes I heard abt the f bombs! That has to be why. Thanks for your reply:)", "15", "eda6yn6"),
    ("That's crazy; I went to a super [RELIGION] high school", "6,22", "eespn2i"),
]
GOEMOTIONS_TEST = [
    (
        "I’m really sorry about your situation :( Although I love the names Sapphira",
        "25,18",
        "eecwqtt",
    ),
    ("It's wonderful because it's awful. At not with.", "0", "ed5f85d"),
    ("Kings fan here, good luck to you guys!", "13,20,0", "ef4qmod"),
]


def write_goemotions(root: Path, with_names: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", GOEMOTIONS_TRAIN), ("dev", GOEMOTIONS_TEST[:1])):
        (root / f"{name}.tsv").write_text(
            "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8"
        )
    (root / "test.tsv").write_text(
        "".join("\t".join(row) + "\n" for row in GOEMOTIONS_TEST), encoding="utf-8"
    )
    if with_names:
        (root / "emotions.txt").write_text("\n".join(GOEMOTIONS_NAMES) + "\n", encoding="utf-8")
    return root


TWEETS = {
    "train": [
        ("“Worry is a down payment on a problem you may never have'. #motivation ", 2),
        ("My roommate: it's okay that we can't spell because we have autocorrect. #terrible ", 0),
        ("No but that's so cute. Atsu was probably shy about photos before but cherry helped ", 1),
        ("Rooneys fucking untouchable isn't he? Been fantastic again tonight", 0),
        ("it's pretty depressing when u hit pan on ur favourite highlighter", 3),
    ],
    "val": [("@user @user Oh, hidden revenge and anger...I rememberthe time,she rebutted", 0)],
    "test": [
        ("#Deppression is real. Partners w/ #depressed people truly dont understand", 3),
        (
            "@user Interesting choice of words... Are you confirming that governments "
            "fund #terrorism?",
            0,
        ),
        ("My visit to hospital for care triggered #trauma from accident 20+yrs ago", 3),
    ],
}


def write_tweeteval(root: Path, subtask: str = "emotion") -> Path:
    directory = root / subtask
    directory.mkdir(parents=True, exist_ok=True)
    for split, rows in TWEETS.items():
        (directory / f"{split}_text.txt").write_text(
            "".join(f"{t}\n" for t, _ in rows), encoding="utf-8"
        )
        (directory / f"{split}_labels.txt").write_text(
            "".join(f"{y}\n" for _, y in rows), encoding="utf-8"
        )
    (directory / "mapping.txt").write_text(
        "0\tanger\n1\tjoy\n2\toptimism\n3\tsadness\n", encoding="utf-8"
    )
    return root


def write_cifar10(tmp_path: Path) -> Path:
    """20 training images (4 per batch file) and 6 test images."""
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    for i in range(1, 6):
        write_cifar_batch(root / f"data_batch_{i}", 4, "labels", 10, seed=i)
    write_cifar_batch(root / "test_batch", 6, "labels", 10, seed=0)
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer"]
    names += [b"dog", b"frog", b"horse", b"ship", b"truck"]
    _pickle(root / "batches.meta", {b"label_names": names, b"num_vis": 3072})
    return root


def write_cifar100(tmp_path: Path) -> Path:
    root = tmp_path / "cifar-100-python"
    root.mkdir()
    write_cifar_batch(root / "train", 20, "fine_labels", 100, seed=1)
    write_cifar_batch(root / "test", 5, "fine_labels", 100, seed=2)
    names = [f"class{i}".encode() for i in range(100)]
    _pickle(root / "meta", {b"fine_label_names": names, b"coarse_label_names": names[:20]})
    return root
