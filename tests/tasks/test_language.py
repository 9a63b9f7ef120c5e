"""The character language model task: a generated corpus, windows shifted by one, a
causal model, and perplexity = exp(mean next-character cross-entropy), lower is better."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
from pydantic import ValidationError
from torch import nn

from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.stats.populations import set_b
from shared.tasks.catalog import task_declaration
from shared.tasks.generated_text import generated_corpus
from shared.tasks.language import CausalTransformer, CharLSTM, windows
from shared.tasks.registry import build_task

SMALL = {"corpus_sentences": 60, "sequence_length": 16, "width": 16, "layers": 1, "heads": 2}


def test_the_corpus_is_fixed_by_its_seed() -> None:
    text = generated_corpus(50, 3)
    assert text == generated_corpus(50, 3) and text != generated_corpus(50, 4)
    sentences = [s for s in text.replace("?", "?|").replace(".", ".|").split("|") if s.strip()]
    assert len(sentences) == 50
    assert all(s.strip()[0].isupper() and s.strip()[-1] in ".?" for s in sentences)


def test_windows_are_targets_shifted_by_one() -> None:
    inputs, targets = windows(torch.arange(11), 3).tensors
    assert inputs.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert targets.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    with pytest.raises(ValueError, match="fewer than 4 characters"):
        windows(torch.arange(3), 3)


@pytest.mark.parametrize("model", [CausalTransformer(10, 16, 2, 2, 8), CharLSTM(10, 16, 1)])
def test_the_model_never_sees_the_future(model: nn.Module) -> None:
    codes = torch.randint(0, 10, (2, 8), generator=torch.Generator().manual_seed(0))
    changed = codes.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 10
    with torch.no_grad():
        before, after = model(codes), model(changed)
    assert before.shape == (2, 8, 10)
    assert torch.allclose(before[:, :5], after[:, :5], atol=1e-6)
    assert not torch.allclose(before[:, 5:], after[:, 5:])


def test_heads_must_divide_the_width() -> None:
    with pytest.raises(ValidationError, match="heads: 3 does not divide width 16"):
        task_declaration("char_lm").validate_options({"width": 16, "heads": 3})
    assert task_declaration("char_lm").validate_options(
        {"width": 16, "heads": 3, "architecture": "lstm"}
    )


def test_perplexity_is_the_exp_of_the_test_cross_entropy_and_set_b_the_lowest() -> None:
    task = build_task("char_lm", SMALL)
    data = task.load()
    assert task.declaration is not None
    assert [(m.name, m.direction) for m in task.declaration.metrics] == [
        ("perplexity", "lower"),
        ("next_token_accuracy", "higher"),
    ]
    final: dict[int, dict[str, torch.Tensor]] = {}
    config = TrajectoryConfig(
        "sgd",
        {"lr": 0.5},
        trajectory_seeds(0, "sgd", 0),
        Budget(epochs=2),
        batch_size=16,
        evaluate_every=0.25,
    )

    def keep(record, model: nn.Module) -> None:  # type: ignore[no-untyped-def]
        final[record.step] = {k: v.clone() for k, v in model.state_dict().items()}

    records = TrajectoryRunner(task, data, config, on_model=keep).run()
    assert records[-1].metrics["perplexity"] < records[0].metrics["perplexity"]
    # recompute one record by hand: every test position's cross-entropy, averaged
    record = records[len(records) // 2]
    model = task.build_model(data.num_labels)
    model.load_state_dict(final[record.step])
    model.eval()
    inputs, targets = data.test.tensors
    with torch.no_grad():
        logits = model(inputs)
    cross_entropy = nn.functional.cross_entropy(
        logits.reshape(-1, data.num_labels), targets.reshape(-1)
    )
    assert record.test_loss == pytest.approx(float(cross_entropy), rel=1e-5)
    assert record.metrics["perplexity"] == pytest.approx(math.exp(float(cross_entropy)), rel=1e-5)
    accuracy = (logits.argmax(-1) == targets).double().mean().item()
    assert record.metrics["next_token_accuracy"] == pytest.approx(accuracy)

    frame = pd.DataFrame(
        {
            "optimizer": "sgd",
            "trajectory": 0,
            "step": [r.step for r in records],
            "perplexity": [r.metrics["perplexity"] for r in records],
        }
    )
    chosen = set_b(frame, 3, "perplexity", "lower")
    lowest = frame[frame["step"] > 0].nsmallest(3, "perplexity")
    assert chosen["step"].tolist() == lowest["step"].tolist()
