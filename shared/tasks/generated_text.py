"""A generated English-like corpus for the offline ``char_lm`` task. Torch-free.

Nothing may be downloaded at run time and no text corpus ships with the platform, so the
text comes from a small stochastic grammar with a fixed seed: subjects, verbs and objects
with number agreement, optional adjectives, adverbs, prepositional phrases, relative
clauses and numbers. A character model has plenty to learn (spelling, agreement,
punctuation, which words follow which) and cannot memorise its way to perplexity 1: the
grammar's choices are random, so the attainable perplexity stays well above it.
"""

from __future__ import annotations

import random

_NOUNS = (
    ("cat", "cats"), ("dog", "dogs"), ("child", "children"), ("teacher", "teachers"),
    ("river", "rivers"), ("city", "cities"), ("robot", "robots"), ("farmer", "farmers"),
    ("bird", "birds"), ("student", "students"), ("engine", "engines"), ("storm", "storms"),
    ("garden", "gardens"), ("doctor", "doctors"), ("train", "trains"), ("mountain", "mountains"),
)  # fmt: skip
_VERBS = (
    ("sees", "see", "saw"), ("likes", "like", "liked"), ("follows", "follow", "followed"),
    ("finds", "find", "found"), ("builds", "build", "built"), ("watches", "watch", "watched"),
    ("carries", "carry", "carried"), ("paints", "paint", "painted"), ("visits", "visit", "visited"),
    ("helps", "help", "helped"),
)  # fmt: skip
_ADJECTIVES = (
    "small", "old", "quiet", "bright", "heavy", "green", "clever", "tired", "distant",
    "strange", "happy", "cold",
)  # fmt: skip
_ADVERBS = ("slowly", "often", "never", "quickly", "always", "rarely", "carefully")
_PREPOSITIONS = ("near", "behind", "under", "beside", "across", "beyond")
_NUMBERS = ("two", "three", "four", "five", "seven", "twelve")


def _noun_phrase(rng: random.Random, plural: bool) -> str:
    singular, many = rng.choice(_NOUNS)
    words = []
    if plural and rng.random() < 0.3:
        words.append(rng.choice(_NUMBERS))
    else:
        words.append(rng.choice(("the", "a", "this", "every")) if not plural else "the")
    if rng.random() < 0.4:
        words.append(rng.choice(_ADJECTIVES))
    words.append(many if plural else singular)
    if words[0] == "a" and words[1][0] in "aeiou":
        words[0] = "an"
    return " ".join(words)


def sentence(rng: random.Random) -> str:
    """One sentence of the grammar, capitalised, ending in a full stop or question mark."""
    plural = rng.random() < 0.4
    subject = _noun_phrase(rng, plural)
    present, base, past = rng.choice(_VERBS)
    question = rng.random() < 0.1
    tense = rng.random()
    # In a question ("does the cat see …?") the auxiliary carries tense and number.
    finite = past if tense < 0.35 else (base if plural else present)
    verb = base if question else finite
    parts = [subject]
    if rng.random() < 0.2:
        relative_present, relative_base, _ = rng.choice(_VERBS)
        parts.append(f"that {relative_base if plural else relative_present} "
                     f"{_noun_phrase(rng, rng.random() < 0.4)}")  # fmt: skip
    if rng.random() < 0.3:
        parts.append(rng.choice(_ADVERBS))
    parts += [verb, _noun_phrase(rng, rng.random() < 0.4)]
    if rng.random() < 0.35:
        parts += [rng.choice(_PREPOSITIONS), _noun_phrase(rng, rng.random() < 0.4)]
    text = " ".join(parts)
    if question:
        auxiliary = "did" if tense < 0.35 else ("do" if plural else "does")
        return f"{auxiliary} {text}?".capitalize()
    return text.capitalize() + "."


def generated_corpus(sentences: int, seed: int) -> str:
    """``sentences`` sentences separated by spaces; the same text for the same seed."""
    rng = random.Random(seed)
    return " ".join(sentence(rng) for _ in range(sentences))
