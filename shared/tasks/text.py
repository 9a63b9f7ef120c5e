"""GoEmotions and TweetEval from their published files, fine-tuning a BERT-family model.

The model is ``task_options.model`` (a local directory, or a hub name that is only fetched
when ``allow_download`` is true), defaulting to the packaged all-MiniLM-L6-v2 so both tasks
run offline. The dev/val split is not part of :class:`TaskData` (the runner trains on train
and scores on test); :meth:`load_validation` reads it for hyperparameter tuning.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import torch

from shared.tasks.base import TaskData, TaskDataError
from shared.tasks.hf import EncodedText, HFTextTask, collate_encoded
from shared.tasks.options import TaskOptionError, required_path, str_option

GOEMOTIONS_LABELS = 28


def read_lines(path: Path, expected: str) -> list[str]:
    """Lines split on ``\\n`` only: tweets may hold other Unicode line breaks, which
    ``str.splitlines`` would wrongly treat as record separators."""
    if not path.is_file():
        raise TaskDataError(f"missing {path}; expected {expected}")
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as error:
        raise TaskDataError(f"{path} is not UTF-8 ({error}); expected {expected}") from error
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def data_dir(task: HFTextTask, expected: str) -> Path:
    path = required_path(task.options, "data_dir", task.name, expected)
    if not path.is_dir():
        raise TaskDataError(
            f"{task.name} data directory {path} does not exist; expected {expected}"
        )
    return path


class GoEmotionsTask(HFTextTask):
    """GoEmotions (Demszky et al. 2020): Reddit comments, 28 emotions, several per comment.

    The label count is the number of names in ``emotions.txt`` when it is present (so a
    regrouped copy, such as the 7 Ekman labels, also loads), 28 otherwise.
    """

    name = "goemotions"
    metric = "macro_f1"
    multilabel = True

    EXPECTED = (
        "the GoEmotions published format: train.tsv, dev.tsv and test.tsv with rows "
        "'text<TAB>comma-separated label ids<TAB>comment id' and no header, optionally "
        "emotions.txt with one label name per line"
    )

    def label_names(self, directory: Path) -> list[str] | None:
        path = directory / "emotions.txt"
        if not path.is_file():
            return None
        names = [line.strip() for line in read_lines(path, self.EXPECTED) if line.strip()]
        if not names:
            raise TaskDataError(f"{path} is empty; expected {self.EXPECTED}")
        return names

    def read_split(self, path: Path, num_labels: int) -> tuple[list[str], torch.Tensor]:
        texts: list[str] = []
        rows: list[list[int]] = []
        for number, line in enumerate(read_lines(path, self.EXPECTED), start=1):
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
                raise TaskDataError(f"{path}:{number}: {error}; expected {self.EXPECTED}") from None
            texts.append(fields[0])
            rows.append(ids)
        targets = torch.zeros(len(rows), num_labels)
        for row, ids in enumerate(rows):
            targets[row, ids] = 1.0
        return texts, targets

    def split(self, directory: Path, file: str, num_labels: int) -> EncodedText:
        return self.encode(*self.read_split(directory / file, num_labels))

    def load(self) -> TaskData:
        directory = data_dir(self, self.EXPECTED)
        names = self.label_names(directory)
        num_labels = len(names) if names else GOEMOTIONS_LABELS
        train, test = (self.split(directory, f, num_labels) for f in ("train.tsv", "test.tsv"))
        return TaskData(train, test, num_labels, collate_encoded, names)

    def load_validation(self) -> EncodedText:
        directory = data_dir(self, self.EXPECTED)
        names = self.label_names(directory)
        return self.split(directory, "dev.tsv", len(names) if names else GOEMOTIONS_LABELS)


class TweetEvalTask(HFTextTask):
    """TweetEval (Barbieri et al. 2020): one of its tweet classification subtasks."""

    name = "tweeteval"
    metric = "macro_f1"

    @property
    def subtask(self) -> str:
        subtask = str_option(self.options, "subtask", "emotion") or "emotion"
        parts = PurePosixPath(subtask).parts
        if subtask.startswith("/") or ".." in parts or "\\" in subtask:
            raise TaskOptionError(f"task_options.subtask: not a subtask name: {subtask!r}")
        return subtask

    @property
    def expected(self) -> str:
        return (
            f"the TweetEval published layout: data_dir/{self.subtask}/ holding "
            "{train,val,test}_text.txt (one tweet per line), {train,val,test}_labels.txt "
            "(one integer label per line, as many lines as the texts) and mapping.txt "
            "('id<TAB>name' per line)"
        )

    def directory(self) -> Path:
        root = data_dir(self, self.expected)
        path = root / self.subtask
        if not path.is_dir():
            raise TaskDataError(f"missing subtask directory {path}; expected {self.expected}")
        return path

    def label_names(self, directory: Path) -> list[str]:
        path = directory / "mapping.txt"
        names: dict[int, str] = {}
        for number, line in enumerate(read_lines(path, self.expected), start=1):
            if not line.strip():
                continue
            fields = line.strip().split(None, 1)
            try:
                names[int(fields[0])] = fields[1] if len(fields) == 2 else fields[0]
            except ValueError:
                raise TaskDataError(f"{path}:{number}: not 'id<TAB>name'") from None
        if sorted(names) != list(range(len(names))) or not names:
            raise TaskDataError(f"{path}: ids must be 0…n-1; expected {self.expected}")
        return [names[i] for i in range(len(names))]

    def split(self, directory: Path, split: str, num_labels: int) -> EncodedText:
        texts = read_lines(directory / f"{split}_text.txt", self.expected)
        path = directory / f"{split}_labels.txt"
        lines = read_lines(path, self.expected)
        if len(lines) != len(texts):
            raise TaskDataError(
                f"{path} has {len(lines)} labels for {len(texts)} texts; expected {self.expected}"
            )
        try:
            labels = [int(line) for line in lines]
        except ValueError as error:
            raise TaskDataError(f"{path}: {error}; expected {self.expected}") from None
        if any(not 0 <= label < num_labels for label in labels):
            raise TaskDataError(f"{path}: labels outside 0…{num_labels - 1} (mapping.txt)")
        return self.encode(texts, torch.tensor(labels, dtype=torch.long))

    def load(self) -> TaskData:
        directory = self.directory()
        names = self.label_names(directory)
        train, test = (self.split(directory, s, len(names)) for s in ("train", "test"))
        return TaskData(train, test, len(names), collate_encoded, names)

    def load_validation(self) -> EncodedText:
        directory = self.directory()
        return self.split(directory, "val", len(self.label_names(directory)))
