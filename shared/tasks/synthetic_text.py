"""A synthetic three-class sentiment corpus for the offline ``minilm_text`` task.

No real text corpus ships with the platform and nothing may be downloaded at run time, so
the sentences are generated from templates and word lists with a fixed seed. The corpus
is easy for a pretrained encoder, and meant to be: the task exists to exercise optimizers
on transformer fine-tuning (its loss surface and AdamW-style dynamics) offline, not to
measure language understanding.
"""

from __future__ import annotations

import random

LABEL_NAMES = ["negative", "neutral", "positive"]

_SUBJECTS = (
    "movie", "film", "meal", "book", "hotel", "concert", "phone", "game",
    "service", "album", "show", "lecture", "restaurant", "trip", "app", "course",
)  # fmt: skip
_OPINIONS = {
    0: (
        "terrible", "awful", "dreadful", "boring", "disappointing", "horrible",
        "poor", "mediocre", "annoying", "unpleasant", "a waste of time", "painful",
    ),
    2: (
        "great", "wonderful", "excellent", "delightful", "superb", "lovely",
        "fantastic", "brilliant", "pleasant", "enjoyable", "worth every minute", "charming",
    ),
}  # fmt: skip
_OPINION_TEMPLATES = (
    "the {s} was {w}",
    "i found the {s} {w}",
    "honestly, the {s} felt {w}",
    "my friends said the {s} is {w}",
    "overall the {s} was {w} from start to finish",
    "this {s} is {w}",
)
_FACTS = (
    "the {s} was released last year",
    "the {s} starts at {t}",
    "we went to the {s} on {d}",
    "the {s} is in the city centre",
    "the {s} lasted about {n} hours",
    "i read a review of the {s} on {d}",
    "the {s} was booked for {t}",
    "there is a new {s} next {d}",
)
_ASIDES = (
    "", "", "", " yesterday", " this week", " with my sister", " after work", " again",
)  # fmt: skip
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIMES = ("nine", "noon", "six thirty", "eight", "half past seven")


def sentiment_corpus(num_examples: int, seed: int) -> tuple[list[str], list[int]]:
    """``num_examples`` sentences with balanced labels 0 negative, 1 neutral, 2 positive,
    in a shuffled order that depends only on ``seed``."""
    rng = random.Random(seed)
    labels = [i % len(LABEL_NAMES) for i in range(num_examples)]
    rng.shuffle(labels)
    texts = []
    for label in labels:
        subject = rng.choice(_SUBJECTS)
        if label == 1:
            sentence = rng.choice(_FACTS).format(
                s=subject, t=rng.choice(_TIMES), d=rng.choice(_DAYS), n=rng.randint(2, 4)
            )
        else:
            sentence = rng.choice(_OPINION_TEMPLATES).format(
                s=subject, w=rng.choice(_OPINIONS[label])
            )
        texts.append(sentence + rng.choice(_ASIDES))
    return texts, labels
