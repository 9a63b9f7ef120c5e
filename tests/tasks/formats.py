"""Tiny datasets written in the real published formats (CIFAR python pickles, GoEmotions
TSVs, TweetEval text files), so the loaders are tested against the layout they will meet.

The CIFAR files are written as the published tarballs have them: Python 2 cPickle
protocol 2, strings as Python 2 ``str`` (so they load as ``bytes``), NumPy arrays reduced
through ``numpy.core.multiarray._reconstruct``. :class:`Python2Pickle` writes exactly that
subset of the format, opcode by opcode; Python 3's own pickler would spell bytes and the
NumPy module differently.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np

GOEMOTIONS_NAMES = [
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
]  # fmt: skip


class Python2Pickle:
    """Protocol-2 pickles as Python 2 wrote them, for dicts, lists, tuples, str/bytes,
    ints, floats, None, booleans and C-contiguous NumPy arrays of plain dtypes."""

    def __init__(self, numpy_module: str = "numpy.core.multiarray") -> None:
        self.numpy_module = numpy_module
        self.out = bytearray()

    def dumps(self, obj: Any) -> bytes:
        self.out = bytearray(pickle.PROTO + b"\x02")
        self.save(obj)
        self.out += pickle.STOP
        return bytes(self.out)

    def global_(self, module: str, name: str) -> None:
        self.out += pickle.GLOBAL + f"{module}\n{name}\n".encode()

    def save(self, obj: Any) -> None:
        if obj is None:
            self.out += pickle.NONE
        elif isinstance(obj, bool):
            self.out += pickle.NEWTRUE if obj else pickle.NEWFALSE
        elif isinstance(obj, int):
            self.out += pickle.BININT + struct.pack("<i", obj)
        elif isinstance(obj, float):
            self.out += pickle.BINFLOAT + struct.pack(">d", obj)
        elif isinstance(obj, (bytes, str)):  # a Python 2 str: bytes on the wire
            data = obj.encode("latin-1") if isinstance(obj, str) else obj
            if len(data) < 256:
                self.out += pickle.SHORT_BINSTRING + bytes([len(data)]) + data
            else:
                self.out += pickle.BINSTRING + struct.pack("<i", len(data)) + data
        elif isinstance(obj, tuple):
            self.out += pickle.MARK
            for item in obj:
                self.save(item)
            self.out += pickle.TUPLE
        elif isinstance(obj, list):
            self.out += pickle.EMPTY_LIST + pickle.MARK
            for item in obj:
                self.save(item)
            self.out += pickle.APPENDS
        elif isinstance(obj, dict):
            self.out += pickle.EMPTY_DICT + pickle.MARK
            for key, value in obj.items():
                self.save(key)
                self.save(value)
            self.out += pickle.SETITEMS
        elif isinstance(obj, np.ndarray):
            # ndarray.__reduce__ under Python 2 / NumPy 1.x
            self.global_(self.numpy_module, "_reconstruct")
            self.out += pickle.MARK
            self.global_("numpy", "ndarray")
            self.save((0,))
            self.save(b"b")
            self.out += pickle.TUPLE + pickle.REDUCE
            self.save((1, tuple(obj.shape), obj.dtype, False, np.ascontiguousarray(obj).tobytes()))
            self.out += pickle.BUILD
        elif isinstance(obj, np.dtype):
            self.global_("numpy", "dtype")
            self.save((f"{obj.kind}{obj.itemsize}", 0, 1))
            self.out += pickle.REDUCE
            self.save(
                (3, obj.byteorder if obj.byteorder != "=" else "<", None, None, None, -1, -1, 0)
            )
            self.out += pickle.BUILD
        else:
            raise TypeError(f"cannot write {type(obj).__name__} as a Python 2 pickle")


def _pickle(path: Path, obj: object) -> None:
    path.write_bytes(Python2Pickle().dumps(obj))


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


def write_cifar10(directory: Path) -> Path:
    """The files of the CIFAR-10 python tarball in ``directory``: 20 training images
    (4 per batch file), 6 test images and batches.meta."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(1, 6):
        write_cifar_batch(directory / f"data_batch_{i}", 4, "labels", 10, seed=i)
    write_cifar_batch(directory / "test_batch", 6, "labels", 10, seed=0)
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer"]
    names += [b"dog", b"frog", b"horse", b"ship", b"truck"]
    _pickle(
        directory / "batches.meta",
        {b"label_names": names, b"num_vis": 3072, b"num_cases_per_batch": 4},
    )
    return directory


def write_cifar100(directory: Path) -> Path:
    """The files of the CIFAR-100 python tarball in ``directory``: 20 train, 5 test."""
    directory.mkdir(parents=True, exist_ok=True)
    write_cifar_batch(directory / "train", 20, "fine_labels", 100, seed=1)
    write_cifar_batch(directory / "test", 5, "fine_labels", 100, seed=2)
    names = [f"class{i}".encode() for i in range(100)]
    _pickle(directory / "meta", {b"fine_label_names": names, b"coarse_label_names": names[:20]})
    return directory
