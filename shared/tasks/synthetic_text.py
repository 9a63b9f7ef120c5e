"""A synthetic three-class sentiment corpus for the offline ``minilm_text`` task.

No real text corpus ships with the platform and nothing may be downloaded at run time, so
the sentences are generated from templates and word lists with a fixed seed. The corpus
is built to be *hard* in the ways real emotion corpora are, so that the test macro-F1 of a
fine-tuned encoder stays well below 1 and keeps moving during training (otherwise every
model scores 1.0 and no two optimizers can be told apart):

* **Imbalance** like GoEmotions', where ``neutral`` is by far the largest label and many
  labels are rare: here 55% neutral, 33% positive and 12% negative, so macro-F1 hinges on
  the rare class.
* **Overlapping vocabulary**: lukewarm words ("fine", "okay", "a bit long") occur in all
  three classes with class-dependent frequencies; neutral sentences quote strong words
  ("the review called it brilliant"); negation flips a word's class ("not great" is
  negative); in a contrast ("… but …") the second clause decides.
* **Label noise**: a fraction of the examples (``LABEL_NOISE``, in training and test
  alike, as annotators disagree on both) carries a different label, drawn in proportion
  to the label shares. It caps the attainable accuracy near ``1 − LABEL_NOISE`` and gives
  a model something to memorise once it has learnt the rules, so test scores peak and
  then drift.
"""

from __future__ import annotations

import random

LABEL_NAMES = ["negative", "neutral", "positive"]
NEGATIVE, NEUTRAL, POSITIVE = 0, 1, 2

#: Share of each label before label noise (negative, neutral, positive).
LABEL_SHARES = (0.12, 0.55, 0.33)
#: Fraction of examples whose label is replaced by another one (see :func:`_relabel`).
LABEL_NOISE = 0.15

_SUBJECTS = (
    "movie", "film", "meal", "book", "hotel", "concert", "phone", "game",
    "service", "album", "show", "lecture", "restaurant", "trip", "app", "course",
)  # fmt: skip
_STRONG = {
    NEGATIVE: (
        "terrible", "awful", "dreadful", "boring", "disappointing", "horrible",
        "poor", "annoying", "unpleasant", "a waste of time", "painful", "bad",
    ),
    POSITIVE: (
        "great", "wonderful", "excellent", "delightful", "superb", "lovely",
        "fantastic", "brilliant", "enjoyable", "worth every minute", "charming", "good",
    ),
}  # fmt: skip
#: Lukewarm words, each with how often it appears in (negative, neutral, positive)
#: sentences: every one of them occurs in all three classes.
_LUKEWARM = {
    "fine": (1, 3, 2),
    "okay": (2, 3, 1),
    "alright": (1, 3, 2),
    "decent": (1, 2, 3),
    "not bad": (1, 2, 3),
    "a bit long": (3, 2, 1),
    "different": (2, 3, 2),
    "surprising": (1, 2, 2),
    "so-so": (3, 2, 1),
    "interesting": (1, 2, 3),
}
_OPINION_TEMPLATES = (
    "the {s} was {w}",
    "i found the {s} {w}",
    "honestly, the {s} felt {w}",
    "this {s} is {w}",
    "overall the {s} was {w} from start to finish",
    "to be fair the {s} was {w}",
)
_NEGATED_TEMPLATES = (
    "the {s} was not {w}",
    "i would not call the {s} {w}",
    "the {s} was never {w}",
)
_QUOTING_TEMPLATES = (
    "the review of the {s} used the word {w}",
    "the poster for the {s} said {w}",
    "someone asked whether the {s} was {w}",
    "the survey asks if the {s} is {w}",
)
_FACTS = (
    "the {s} was released last year",
    "the {s} starts at {t}",
    "we went to the {s} on {d}",
    "the {s} is in the city centre",
    "the {s} lasted about {n} hours",
    "i read about the {s} on {d}",
    "the {s} was booked for {t}",
    "there is a new {s} next {d}",
    "the {s} was booked for {t} but it moved to {d}",
    "the {s} was on {d} but the ending was on {d}",
)
_ASIDES = (
    "", "", "", " yesterday", " this week", " with my sister", " after work", " again",
)  # fmt: skip
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIMES = ("nine", "noon", "six thirty", "eight", "half past seven")


def label_counts(num_examples: int) -> list[int]:
    """Examples of each label before noise: ``LABEL_SHARES`` rounded, summing exactly to
    ``num_examples``, every label present once there are at least three examples."""
    counts = [max(1, round(share * num_examples)) for share in LABEL_SHARES]
    counts[NEUTRAL] += num_examples - sum(counts)  # the largest label absorbs rounding
    return counts


def sentiment_corpus(
    num_examples: int, seed: int, label_noise: float = LABEL_NOISE
) -> tuple[list[str], list[int]]:
    """``num_examples`` sentences and labels (0 negative, 1 neutral, 2 positive) in a
    shuffled order; both depend only on ``seed``. Labels follow ``LABEL_SHARES`` before a
    fraction ``label_noise`` of them is replaced by a different one."""
    if num_examples < len(LABEL_NAMES):
        raise ValueError(f"num_examples: at least {len(LABEL_NAMES)}, got {num_examples}")
    if not 0 <= label_noise < 1:
        raise ValueError(f"label_noise: must be in [0, 1), got {label_noise}")
    rng = random.Random(seed)
    labels = [k for k, count in enumerate(label_counts(num_examples)) for _ in range(count)]
    rng.shuffle(labels)
    texts = [_sentence(label, rng) + rng.choice(_ASIDES) for label in labels]
    noisy = [_relabel(label, rng) if rng.random() < label_noise else label for label in labels]
    return texts, noisy


def _relabel(label: int, rng: random.Random) -> int:
    """A different label, drawn in proportion to the label shares (so that noise does not
    even out the imbalance)."""
    others = [k for k in range(len(LABEL_NAMES)) if k != label]
    return rng.choices(others, weights=[LABEL_SHARES[k] for k in others])[0]


def _sentence(label: int, rng: random.Random) -> str:
    subject = rng.choice(_SUBJECTS)
    if label == NEUTRAL:
        return _neutral(subject, rng)
    kind = rng.random()
    if kind < 0.4:  # a strong word of its own class
        return _opinion(subject, rng.choice(_STRONG[label]), rng)
    if kind < 0.6:  # a lukewarm word, weighted towards this class
        return _opinion(subject, _lukewarm(label, rng), rng)
    if kind < 0.8 and label == NEGATIVE:  # "not great": a negated positive word
        return rng.choice(_NEGATED_TEMPLATES).format(s=subject, w=rng.choice(_STRONG[POSITIVE]))
    # A contrast: the first clause says the opposite (or something neutral), "but" the
    # second decides.
    other = POSITIVE if label == NEGATIVE else NEGATIVE
    first = _opinion(subject, rng.choice(_STRONG[other]), rng) if rng.random() < 0.6 else None
    first = first or _neutral(subject, rng)
    second = rng.choice(_STRONG[label])
    return f"{first} but the {rng.choice(('ending', 'rest', 'price', 'staff'))} was {second}"


def _neutral(subject: str, rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        return rng.choice(_FACTS).format(
            s=subject, t=rng.choice(_TIMES), d=rng.choice(_DAYS), n=rng.randint(2, 4)
        )
    if kind < 0.7:  # quoting a strong word without holding the opinion
        word = rng.choice(_STRONG[rng.choice((NEGATIVE, POSITIVE))])
        return rng.choice(_QUOTING_TEMPLATES).format(s=subject, w=word)
    if kind < 0.8:  # "not terrible" is no praise: a negated negative word reads neutral
        word = rng.choice(_STRONG[NEGATIVE])
        return rng.choice(_NEGATED_TEMPLATES).format(s=subject, w=word)
    return _opinion(subject, _lukewarm(NEUTRAL, rng), rng)


def _opinion(subject: str, word: str, rng: random.Random) -> str:
    return rng.choice(_OPINION_TEMPLATES).format(s=subject, w=word)


def _lukewarm(label: int, rng: random.Random) -> str:
    words = list(_LUKEWARM)
    return rng.choices(words, weights=[_LUKEWARM[w][label] for w in words])[0]
