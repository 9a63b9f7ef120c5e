"""The classification tasks' test metrics of a set of predictions (scikit-learn underneath).
Torch-free."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score


def classification_metrics(
    targets: np.ndarray, predictions: np.ndarray, multilabel: bool
) -> dict[str, float | None]:
    """accuracy (exact match for multi-label), macro-F1, and micro-F1 for multi-label."""
    if multilabel:
        return {
            "accuracy": float((targets == predictions).all(axis=1).mean()),
            "macro_f1": float(f1_score(targets, predictions, average="macro", zero_division=0)),
            "micro_f1": float(f1_score(targets, predictions, average="micro", zero_division=0)),
        }
    return {
        "accuracy": float((targets == predictions).mean()),
        "macro_f1": float(f1_score(targets, predictions, average="macro", zero_division=0)),
    }
