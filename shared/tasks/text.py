"""GoEmotions and TweetEval from their published files, fine-tuning a BERT-family model.

The files are under the data root: ``<root>/goemotions/`` and ``<root>/tweeteval/<subtask>/``
(or ``task_options.data_dir``). The model is ``task_options.model`` (a directory under
``<root>/models/``, or a hub name fetched only when downloads are allowed), defaulting to
the packaged all-MiniLM-L6-v2 so both tasks run offline. The dev/val split is not part of
:class:`TaskData` (the runner trains on train and scores on test); :meth:`load_validation`
reads it for hyperparameter tuning.
"""

from __future__ import annotations

import torch

from shared.tasks.base import TaskData, TaskDataError
from shared.tasks.data_root import DataDirectory
from shared.tasks.hf import EncodedText, HFTextTask, collate_encoded
from shared.tasks.layouts import GOEMOTIONS, TWEETEVAL, DatasetLayout
from shared.tasks.options import GoEmotionsOptions, TweetEvalOptions

GOEMOTIONS_LABELS = 28


def read_lines(directory: DataDirectory, name: str, expected: str) -> list[str]:
    """Lines split on ``\\n`` only: tweets may hold other Unicode line breaks, which
    ``str.splitlines`` would wrongly treat as record separators."""
    path, shown = directory.child(name), directory.show(name)
    if not path.is_file():
        raise TaskDataError(f"missing {shown} under the data root; expected {expected}")
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as error:
        raise TaskDataError(f"{shown} is not UTF-8 ({error}); expected {expected}") from None
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def data_dir(task: HFTextTask, layout: DatasetLayout, expected: str) -> DataDirectory:
    """``<root>/<data_dir>``, default ``<root>/<task>``."""
    directory = task.data_root.directory(task.options.data_dir or layout.directory)
    if not directory.exists():
        raise TaskDataError(
            f"{task.name}: no directory {directory.shown}/ under the data root; expected {expected}"
        )
    return directory


class GoEmotionsTask(HFTextTask):
    """GoEmotions (Demszky et al. 2020): Reddit comments, 28 emotions, several per comment.

    The label count is the number of names in ``emotions.txt`` when it is present (so a
    regrouped copy, such as the 7 Ekman labels, also loads), 28 otherwise.
    """

    name = "goemotions"
    multilabel = True
    options: GoEmotionsOptions

    EXPECTED = GOEMOTIONS.expected

    def label_names(self, directory: DataDirectory) -> list[str] | None:
        if not directory.child("emotions.txt").is_file():
            return None
        lines = read_lines(directory, "emotions.txt", self.EXPECTED)
        names = [line.strip() for line in lines if line.strip()]
        if not names:
            raise TaskDataError(
                f"{directory.show('emotions.txt')} is empty; expected {self.EXPECTED}"
            )
        return names

    def read_split(
        self, directory: DataDirectory, file: str, num_labels: int
    ) -> tuple[list[str], torch.Tensor]:
        texts: list[str] = []
        rows: list[list[int]] = []
        shown = directory.show(file)
        for number, line in enumerate(read_lines(directory, file, self.EXPECTED), start=1):
            if not line.strip():
                continue
            fields = line.split("\t")
            try:
                if len(fields) not in (2, 3):
                    raise ValueError(f"{len(fields)} tab-separated fields")
                ids = [int(label) for label in fields[1].split(",")]
                if any(not 0 <= label < num_labels for label in ids):
                    raise ValueError(f"label ids outside 0…{num_labels - 1}")
            except ValueError as error:
                raise TaskDataError(
                    f"{shown}:{number}: {error}; expected {self.EXPECTED}"
                ) from None
            texts.append(fields[0])
            rows.append(ids)
        targets = torch.zeros(len(rows), num_labels)
        for row, ids in enumerate(rows):
            targets[row, ids] = 1.0
        return texts, targets

    def split(self, directory: DataDirectory, file: str, num_labels: int) -> EncodedText:
        return self.encode(*self.read_split(directory, file, num_labels))

    def load(self) -> TaskData:
        directory = data_dir(self, GOEMOTIONS, self.EXPECTED)
        names = self.label_names(directory)
        num_labels = len(names) if names else GOEMOTIONS_LABELS
        train, test = (self.split(directory, f, num_labels) for f in ("train.tsv", "test.tsv"))
        return TaskData(train, test, num_labels, collate_encoded, names)

    def load_validation(self) -> EncodedText:
        directory = data_dir(self, GOEMOTIONS, self.EXPECTED)
        names = self.label_names(directory)
        return self.split(directory, "dev.tsv", len(names) if names else GOEMOTIONS_LABELS)


class TweetEvalTask(HFTextTask):
    """TweetEval (Barbieri et al. 2020): one of its tweet classification subtasks."""

    name = "tweeteval"
    options: TweetEvalOptions

    @property
    def subtask(self) -> str:
        return self.options.subtask

    @property
    def expected(self) -> str:
        return TWEETEVAL.expected.replace("<subtask>", f"{self.subtask}")

    def directory(self) -> DataDirectory:
        path = data_dir(self, TWEETEVAL, self.expected).sub(self.subtask)
        if not path.exists():
            raise TaskDataError(
                f"tweeteval: no subtask directory {path.shown}/ under the data root; "
                f"expected {self.expected}"
            )
        return path

    def label_names(self, directory: DataDirectory) -> list[str]:
        names: dict[int, str] = {}
        shown = directory.show("mapping.txt")
        lines = read_lines(directory, "mapping.txt", self.expected)
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            fields = line.strip().split(None, 1)
            try:
                names[int(fields[0])] = fields[1] if len(fields) == 2 else fields[0]
            except ValueError:
                raise TaskDataError(f"{shown}:{number}: not 'id<TAB>name'") from None
        if sorted(names) != list(range(len(names))) or not names:
            raise TaskDataError(f"{shown}: ids must be 0…n-1; expected {self.expected}")
        return [names[i] for i in range(len(names))]

    def split(self, directory: DataDirectory, split: str, num_labels: int) -> EncodedText:
        texts = read_lines(directory, f"{split}_text.txt", self.expected)
        shown = directory.show(f"{split}_labels.txt")
        lines = read_lines(directory, f"{split}_labels.txt", self.expected)
        if len(lines) != len(texts):
            raise TaskDataError(
                f"{shown} has {len(lines)} labels for {len(texts)} texts; expected {self.expected}"
            )
        try:
            labels = [int(line) for line in lines]
        except ValueError as error:
            raise TaskDataError(f"{shown}: {error}; expected {self.expected}") from None
        if any(not 0 <= label < num_labels for label in labels):
            raise TaskDataError(f"{shown}: labels outside 0…{num_labels - 1} (mapping.txt)")
        return self.encode(texts, torch.tensor(labels, dtype=torch.long))

    def load(self) -> TaskData:
        directory = self.directory()
        names = self.label_names(directory)
        train, test = (self.split(directory, s, len(names)) for s in ("train", "test"))
        return TaskData(train, test, len(names), collate_encoded, names)

    def load_validation(self) -> EncodedText:
        directory = self.directory()
        return self.split(directory, "val", len(self.label_names(directory)))
