"""GoEmotions and TweetEval from tiny files in their published formats, on the packaged
MiniLM, and the offline synthetic minilm_text task."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from shared.tasks.base import TaskData, TaskDataError
from shared.tasks.data_root import DataPathError
from shared.tasks.hf import collate_encoded, load_tokenizer, packaged_minilm_path
from shared.tasks.options import TaskOptionError
from shared.tasks.registry import build_task
from shared.tasks.synthetic_text import sentiment_corpus
from tests.tasks.formats import GOEMOTIONS_NAMES, write_goemotions, write_tweeteval


def one_step(
    task_name: str, options: dict, data: TaskData, root: Path, rows: int = 3
) -> torch.Tensor:
    """Collate a few examples, forward, loss, backward; return the logits."""
    task = build_task(task_name, options, root)
    torch.manual_seed(0)
    model = task.build_model(data.num_labels)
    inputs, targets = data.collate([data.train[i] for i in range(rows)])
    logits = model(inputs)
    assert logits.shape == (rows, data.num_labels)
    loss = task.loss(logits, targets)
    loss.backward()
    assert torch.isfinite(loss)
    assert model.model.classifier.weight.grad is not None
    return logits


def test_goemotions_multilabel_targets(
    goemotions_dir: Path, data_root: Path, no_network: None
) -> None:
    options = {"max_length": 16}
    data = build_task("goemotions", options, data_root).load()
    assert len(data.train) == 7 and len(data.test) == 3
    assert data.num_labels == 28 and data.label_names == GOEMOTIONS_NAMES
    _, targets = data.test[2]  # "13,20,0"
    assert targets.shape == (28,) and targets.dtype == torch.float32
    assert targets.nonzero().flatten().tolist() == [0, 13, 20]
    inputs, _ = data.train[0]
    assert inputs["input_ids"].shape == (16,)
    logits = one_step("goemotions", options, data, data_root)
    assert build_task("goemotions", options, data_root).predict(logits).shape == (3, 28)


def test_goemotions_without_emotions_file_has_28_labels(data_root: Path) -> None:
    write_goemotions(data_root / "go", with_names=False)
    data = build_task("goemotions", {"data_dir": "go"}, data_root).load()
    assert data.num_labels == 28 and data.label_names is None
    dev = build_task("goemotions", {"data_dir": "go"}, data_root).load_validation()
    assert len(dev) == 1 and dev[0][1].nonzero().flatten().tolist() == [18, 25]


def test_goemotions_reports_missing_and_malformed_files(
    goemotions_dir: Path, data_root: Path
) -> None:
    with pytest.raises(
        TaskDataError, match=r"no directory nowhere/ under the data root.*train\.tsv"
    ):
        build_task("goemotions", {"data_dir": "nowhere"}, data_root).load()
    (goemotions_dir / "test.tsv").unlink()
    with pytest.raises(TaskDataError) as raised:
        build_task("goemotions", {}, data_root).load()
    assert "missing goemotions/test.tsv under the data root" in str(raised.value)
    assert "comma-separated label ids" in str(raised.value)
    assert str(data_root) not in str(raised.value)
    (goemotions_dir / "test.tsv").write_text("text\tlabels\tid\n", encoding="utf-8")
    with pytest.raises(TaskDataError, match=r"goemotions/test\.tsv:1"):
        build_task("goemotions", {}, data_root).load()
    (goemotions_dir / "test.tsv").write_text("fine\t28\tx\n", encoding="utf-8")
    with pytest.raises(TaskDataError, match="outside"):
        build_task("goemotions", {}, data_root).load()


def test_tweeteval_labels_and_mapping(
    tweeteval_dir: Path, data_root: Path, no_network: None
) -> None:
    data = build_task("tweeteval", {}, data_root).load()
    assert len(data.train) == 5 and len(data.test) == 3
    assert data.num_labels == 4 and data.label_names == ["anger", "joy", "optimism", "sadness"]
    assert [data.train[i][1].item() for i in range(5)] == [2, 0, 1, 0, 3]
    assert data.train[0][1].dtype == torch.long
    assert len(build_task("tweeteval", {}, data_root).load_validation()) == 1
    one_step("tweeteval", {}, data, data_root)


def test_tweeteval_subtask_option(data_root: Path) -> None:
    root = write_tweeteval(data_root / "tweeteval", subtask="irony")
    (root / "irony" / "mapping.txt").write_text("0\tnon_irony\n1\tirony\n", encoding="utf-8")
    for split in ("train", "test"):
        labels = root / "irony" / f"{split}_labels.txt"
        labels.write_text(labels.read_text().replace("2", "1").replace("3", "0"))
    data = build_task("tweeteval", {"subtask": "irony"}, data_root).load()
    assert data.num_labels == 2 and data.label_names == ["non_irony", "irony"]
    with pytest.raises(TaskDataError, match=r"no subtask directory tweeteval/emotion/.*mapping"):
        build_task("tweeteval", {}, data_root).load()
    with pytest.raises(TaskOptionError, match=r"task_options\.subtask: Input should be 'emoji'"):
        build_task("tweeteval", {"subtask": "../x"}, data_root)


def test_tweeteval_reports_inconsistent_files(tweeteval_dir: Path, data_root: Path) -> None:
    directory = tweeteval_dir / "emotion"
    (directory / "train_labels.txt").write_text("0\n1\n", encoding="utf-8")
    with pytest.raises(TaskDataError, match="2 labels for 5 texts"):
        build_task("tweeteval", {}, data_root).load()
    (directory / "train_labels.txt").write_text("0\n1\n2\n3\n4\n", encoding="utf-8")
    with pytest.raises(TaskDataError, match="outside"):
        build_task("tweeteval", {}, data_root).load()
    (directory / "mapping.txt").unlink()
    with pytest.raises(TaskDataError) as raised:
        build_task("tweeteval", {}, data_root).load()
    assert "missing tweeteval/emotion/mapping.txt under the data root" in str(raised.value)


def test_tweets_may_contain_unicode_line_separators(tweeteval_dir: Path, data_root: Path) -> None:
    text = tweeteval_dir / "emotion" / "test_text.txt"
    text.write_text(text.read_text(encoding="utf-8").replace("real.", "real.\u2028"), "utf-8")
    assert len(build_task("tweeteval", {}, data_root).load().test) == 3


def test_a_model_that_is_not_local_fails_without_the_network(
    tweeteval_dir: Path, data_root: Path, no_network: None
) -> None:
    from huggingface_hub import constants

    offline = constants.HF_HUB_OFFLINE
    options = {"model": "nobody/no-such-model"}
    with pytest.raises(TaskDataError, match=r"no directory models/nobody/no-such-model/"):
        build_task("tweeteval", options, data_root).load()
    with pytest.raises(TaskDataError, match="allow_download"):
        build_task("tweeteval", options, data_root).build_model(4)
    # asked for, but this server does not permit downloads: refused before any request
    asked = {**options, "allow_download": True}
    with pytest.raises(TaskDataError, match="does not permit downloads"):
        build_task("tweeteval", asked, data_root, allow_downloads=False).load()
    # permitted by both: the hub name is what from_pretrained will be given
    source = build_task("tweeteval", asked, data_root, allow_downloads=True).model_source
    assert (source.location, source.allow_download) == ("nobody/no-such-model", True)
    assert offline == constants.HF_HUB_OFFLINE  # the offline switch was put back


def test_a_model_under_the_data_root_is_loaded_by_name(
    tweeteval_dir: Path, data_root: Path, no_network: None
) -> None:
    shutil.copytree(packaged_minilm_path(), data_root / "models" / "minilm")
    options = {"model": "minilm", "max_length": 8}
    task = build_task("tweeteval", options, data_root)
    assert task.model_source.shown == "models/minilm"
    data = task.load()
    assert data.train[0][0]["input_ids"].shape == (8,)
    one_step("tweeteval", options, data, data_root)
    (data_root / "models" / "broken").mkdir()
    with pytest.raises(TaskDataError) as raised:
        build_task("tweeteval", {"model": "broken"}, data_root).load()
    message = str(raised.value)
    assert "cannot load the tokenizer of models/broken" in message
    assert str(data_root) not in message and "\n" not in message


def test_model_links_leading_out_of_the_root_are_refused(
    tweeteval_dir: Path, data_root: Path, tmp_path: Path
) -> None:
    (data_root / "models").mkdir()
    (data_root / "models" / "escape").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(DataPathError, match=r"task_options\.model: 'models/escape' is a link"):
        build_task("tweeteval", {"model": "escape"}, data_root).load()
    # a file inside a model directory that links out is refused as well
    inside = shutil.copytree(packaged_minilm_path(), data_root / "models" / "minilm")
    (inside / "vocab.txt").rename(tmp_path / "vocab.txt")
    (inside / "vocab.txt").symlink_to(tmp_path / "vocab.txt")
    with pytest.raises(DataPathError, match=r"models/minilm/vocab\.txt is a link that leads out"):
        build_task("tweeteval", {"model": "minilm"}, data_root).load()


@pytest.mark.parametrize("hf_hub_offline", [False, True])
def test_minilm_text_runs_offline(
    hf_hub_offline: bool, no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if hf_hub_offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    load_tokenizer.cache_clear()  # load it here, under the guard
    task = build_task("minilm_text", {"num_examples": 60})
    data = task.load()
    assert len(data.train) == 48 and len(data.test) == 12 and data.num_labels == 3
    assert data.label_names == ["negative", "neutral", "positive"]
    assert data.train[0][0]["input_ids"].shape == (32,)
    one_step("minilm_text", {"num_examples": 60}, data, Path("unused"), rows=4)


def test_classifier_head_follows_the_global_torch_seed(no_network: None) -> None:
    task = build_task("minilm_text", {})
    torch.manual_seed(3)
    a = task.build_model(3).model.classifier.weight
    torch.manual_seed(3)
    b = task.build_model(3).model.classifier.weight
    c = task.build_model(3).model.classifier.weight
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert task.build_model(3).training


def test_synthetic_corpus_is_deterministic_and_imbalanced() -> None:
    texts, labels = sentiment_corpus(300, seed=0)
    assert (texts, labels) == sentiment_corpus(300, seed=0)
    assert texts != sentiment_corpus(300, seed=1)[0]
    negative, neutral, positive = (labels.count(k) for k in range(3))
    assert neutral > positive > negative > 0  # neutral largest, negative rare
    assert len(set(texts)) > 250


def test_collate_drops_columns_that_are_padding_everywhere() -> None:
    ids = torch.tensor([[101, 7, 102, 0, 0], [101, 8, 9, 102, 0]])
    rows = [
        ({"input_ids": i, "attention_mask": (i != 0).long()}, torch.tensor(k))
        for k, i in enumerate(ids)
    ]
    inputs, targets = collate_encoded(rows)
    assert inputs["input_ids"].tolist() == [[101, 7, 102, 0], [101, 8, 9, 102]]
    assert inputs["attention_mask"].shape == (2, 4) and targets.tolist() == [0, 1]
