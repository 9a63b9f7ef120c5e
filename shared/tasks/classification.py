"""The classification tasks' test metrics of a set of predictions (scikit-learn underneath).
Torch-free."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from shared.tasks.metrics import ACCURACY, MACRO_F1, MICRO_F1


def classification_metrics(
    targets: np.ndarray, predictions: np.ndarray, multilabel: bool
) -> dict[str, float | None]:
    """Accuracy (exact match for multi-label), macro-F1, and micro-F1 for multi-label."""
    macro = float(f1_score(targets, predictions, average="macro", zero_division=0))
    if multilabel:
        return {
            ACCURACY.name: float((targets == predictions).all(axis=1).mean()),
            MACRO_F1.name: macro,
            MICRO_F1.name: float(f1_score(targets, predictions, average="micro", zero_division=0)),
        }
    return {ACCURACY.name: float((targets == predictions).mean()), MACRO_F1.name: macro}
