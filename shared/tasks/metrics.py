"""Test metrics as a task declares them: a name, the direction in which a value is better,
its range and what it measures. Torch-free.

A metric is declared once, by its task. Everything downstream — which records form Set B
(the L *best* values), the leaderboard's ranking, which models keep their weights, the
tuning objective, the tables and the page — reads the name and direction from here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["higher", "lower"]

#: Columns every model record has; a metric may not take one of these names.
RECORD_FIELDS = frozenset(
    {
        "optimizer",
        "trajectory",
        "step",
        "epoch",
        "gradient_evaluations",
        "loss_evaluations",
        "wall_time",
        "train_loss",
        "running_loss",
        "test_loss",
        "diverged",
        "sharpness",
        "sharpness_gradient_evaluations",
        "metrics",
    }
)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Metric:
    """One test metric of a task.

    ``direction``: ``"higher"`` when a larger value is a better model (accuracy),
    ``"lower"`` when a smaller one is (perplexity, mean squared error). ``minimum`` and
    ``maximum`` bound the values it can take (None: unbounded on that side).
    """

    name: str
    direction: Direction
    description: str
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(
                f"metric name {self.name!r}: lower-case letters, digits and _, "
                "starting with a letter, at most 32 characters"
            )
        if self.name in RECORD_FIELDS:
            raise ValueError(f"metric name {self.name!r} is a model record field")
        if self.direction not in ("higher", "lower"):
            raise ValueError(
                f"metric {self.name!r}: direction must be 'higher' or 'lower', "
                f"got {self.direction!r}"
            )
        if (
            self.minimum is not None
            and self.maximum is not None
            and not self.minimum < self.maximum
        ):
            raise ValueError(f"metric {self.name!r}: minimum must be below maximum")

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    def better(self, a: float, b: float) -> bool:
        """Whether value ``a`` is strictly better than ``b``."""
        return a > b if self.higher_is_better else a < b

    def worst(self) -> float:
        """A value every finite one beats."""
        return -math.inf if self.higher_is_better else math.inf

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "direction": self.direction,
            "description": self.description,
            "minimum": self.minimum,
            "maximum": self.maximum,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Metric:
        return cls(
            name=data["name"],
            direction=data["direction"],
            description=str(data.get("description", "")),
            minimum=data.get("minimum"),
            maximum=data.get("maximum"),
        )


def check_metrics(metrics: Iterable[Metric]) -> tuple[Metric, ...]:
    """The metrics as a tuple: at least one, each a :class:`Metric`, names distinct."""
    metrics = tuple(metrics)
    if not metrics:
        raise ValueError("a task declares at least one metric")
    for metric in metrics:
        if not isinstance(metric, Metric):
            raise ValueError(f"metrics: {metric!r} is not a shared.tasks.Metric")
    names = [m.name for m in metrics]
    if len(set(names)) != len(names):
        raise ValueError(f"metrics: names repeat ({', '.join(names)})")
    return metrics


ACCURACY = Metric(
    "accuracy",
    "higher",
    "fraction of test examples predicted exactly (every label, for multi-label tasks)",
    0.0,
    1.0,
)
MACRO_F1 = Metric(
    "macro_f1", "higher", "F1 score per class, averaged over classes (test set)", 0.0, 1.0
)
MICRO_F1 = Metric(
    "micro_f1", "higher", "F1 score over all label decisions pooled (test set)", 0.0, 1.0
)
PERPLEXITY = Metric(
    "perplexity",
    "lower",
    "exp of the mean next-token cross-entropy on the test text (1 is perfect)",
    1.0,
    None,
)
NEXT_TOKEN_ACCURACY = Metric(
    "next_token_accuracy",
    "higher",
    "fraction of test positions whose most likely next token is the actual one",
    0.0,
    1.0,
)
