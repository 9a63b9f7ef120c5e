"""Which evaluated models of a trajectory keep their weights (the spec's ``keep_models``).

* ``none``: no weights are kept.
* ``population`` (default): the models that can enter Set A or Set B at the spec's L —
  the L lowest-training-loss candidates and the L best-metric candidates (in the
  direction the task declares for its metric). As a better
  model arrives, one that fell out of both is released. A record that has fallen out can
  never come back (records are only added), so the kept set at the end holds exactly Set A
  ∪ Set B at that L, and every member of either can be downloaded.
* ``all``: every evaluated model (a diverged record has no usable weights).

The choice *is* the statistics' own :func:`~shared.stats.populations.set_a` and
:func:`~shared.stats.populations.set_b` on the trajectory's records so far, so it follows
their rule exactly: candidates are the models after step 0 and before any divergence,
and ties go to the earlier step. Nothing here imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from shared.stats.populations import Direction, set_a, set_b

KeepModels = Literal["none", "population", "all"]


@dataclass(frozen=True)
class RecordScore:
    """What the choice looks at in one model record of a trajectory."""

    step: int
    train_loss: float | None
    metric: float | None
    diverged: bool = False


def steps_to_keep(
    records: Iterable[RecordScore], policy: KeepModels, L: int, direction: Direction = "higher"
) -> set[int]:
    """The steps whose weights ``policy`` keeps, given all the trajectory's records so far.

    Args:
        records: every model record of one trajectory (any order).
        policy: ``none``, ``population`` or ``all``.
        L: the spec's population size (models per trajectory in Set A and in Set B).
        direction: whether a higher or a lower metric is better (Set B's ranking).
    """
    records = list(records)
    if policy == "none":
        return set()
    if policy == "all":
        return {r.step for r in records if not r.diverged}
    if policy != "population":
        raise ValueError(f"keep_models: expected none, population or all, got {policy!r}")
    frame = pd.DataFrame(
        {
            "optimizer": "",
            "trajectory": 0,
            "step": [r.step for r in records],
            "train_loss": [_number(r.train_loss) for r in records],
            "metric": [_number(r.metric) for r in records],
            "diverged": [r.diverged for r in records],
        }
    )
    chosen = set(set_a(frame, L)["step"]) | set(set_b(frame, L, "metric", direction)["step"])
    return {int(step) for step in chosen}


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)
