"""The synthetic corpus behind ``minilm_text`` is hard in the ways real emotion corpora
are: imbalanced, noisy labels, and vocabulary shared across classes."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.tasks.synthetic_text import (
    LABEL_NAMES,
    LABEL_NOISE,
    LABEL_SHARES,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    label_counts,
    sentiment_corpus,
)


def test_deterministic_per_seed() -> None:
    texts, labels = sentiment_corpus(300, seed=0)
    assert (texts, labels) == sentiment_corpus(300, seed=0)
    assert texts != sentiment_corpus(300, seed=1)[0]
    assert len(set(texts)) > 250


@pytest.mark.parametrize("n", [3, 7, 60, 600, 1001])
def test_label_counts_follow_the_shares_and_sum_exactly(n) -> None:
    counts = label_counts(n)
    assert sum(counts) == n and min(counts) >= 1
    if n >= 60:
        assert all(abs(c - s * n) <= 1 for c, s in zip(counts, LABEL_SHARES, strict=True))


def test_imbalanced_like_goemotions_neutral_largest_negative_rare() -> None:
    _, labels = sentiment_corpus(5000, seed=0)
    share = {k: v / len(labels) for k, v in Counter(labels).items()}
    assert share[NEUTRAL] > 0.5 and share[NEGATIVE] < 0.16
    assert share[NEUTRAL] > share[POSITIVE] > share[NEGATIVE]


def test_label_noise_flips_the_stated_fraction() -> None:
    texts, clean = sentiment_corpus(4000, seed=3, label_noise=0.0)
    same_texts, noisy = sentiment_corpus(4000, seed=3)
    assert same_texts == texts  # noise changes labels, never sentences
    assert Counter(clean) == Counter({k: c for k, c in enumerate(label_counts(4000))})
    flipped = sum(a != b for a, b in zip(clean, noisy, strict=True)) / len(clean)
    assert flipped == pytest.approx(LABEL_NOISE, abs=0.02)
    # Identical sentences with different labels: no model can be right on all of them.
    by_text: dict[str, set[int]] = {}
    for text, label in zip(texts, noisy, strict=True):
        by_text.setdefault(text, set()).add(label)
    assert sum(len(labels) > 1 for labels in by_text.values()) > 20


def test_vocabulary_overlaps_across_classes() -> None:
    texts, labels = sentiment_corpus(4000, seed=0, label_noise=0.0)
    words_by_label = [
        Counter(w for t, lab in zip(texts, labels, strict=True) if lab == k for w in t.split())
        for k in range(len(LABEL_NAMES))
    ]
    for word in ("fine", "okay", "great", "terrible", "not", "but"):
        assert all(counts[word] > 0 for counts in words_by_label), word
    # No single word decides the label: even the strongest cue is often in another class.
    for word in ("great", "terrible", "brilliant", "awful"):
        counts = [c[word] for c in words_by_label]
        assert max(counts) / sum(counts) < 0.9, word


@pytest.mark.parametrize(
    ("arguments", "field"), [((2, 0), "num_examples"), ((30, 0, 1.0), "label_noise")]
)
def test_bad_arguments_name_themselves(arguments, field) -> None:
    with pytest.raises(ValueError, match=field):
        sentiment_corpus(*arguments)
