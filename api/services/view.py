"""What the page shows of a training experiment, in one answer computed from one load of
its records: Set A vs Set B, the optimizer pairs, both populations with each member's
sharpness, the sweeps, a learning curve, and sharpness against the metric."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from api.services.curves import curves_answer
from api.services.jsonable import jsonable
from api.services.populations import (
    check_population_size,
    optimizer_comparison_answer,
    populations_answer,
    set_comparison_answer,
)
from api.services.sweeps import training_sweep_answer
from shared.spec import TrainingSpec
from shared.stats.populations import candidates
from shared.stats.sharpness import SHARPNESS, converged_sharpness, sharpness_recorded
from shared.tasks.metrics import Metric


def sharpness_against_metric(records: pd.DataFrame, metric: str) -> dict[str, Any] | None:
    """Per optimizer, ``{"sharpness": [...], "value": [...]}`` over its candidate models
    (after step 0, before any divergence) with a converged sharpness and a finite value
    of ``metric``; None when the experiment measured no sharpness."""
    if not sharpness_recorded(records):
        return None
    chosen = candidates(converged_sharpness(records))
    sharpness = chosen[SHARPNESS].to_numpy(dtype=float)
    value = chosen[metric].to_numpy(dtype=float)
    chosen = chosen[np.isfinite(sharpness) & np.isfinite(value)]
    return {
        str(optimizer): {
            "sharpness": jsonable(rows[SHARPNESS].tolist()),
            "value": jsonable(rows[metric].tolist()),
        }
        for optimizer, rows in chosen.groupby("optimizer", sort=True)
    }


def training_view_answer(
    records: pd.DataFrame,
    spec: TrainingSpec,
    L: int,
    metric: Metric,
    *,
    alpha: float,
    confidence: float,
    column: str,
    window: int,
) -> dict[str, Any]:
    """The answers of set-comparison, optimizer-comparison (Set A), populations (A and B),
    sweep and learning-curves at these parameters, plus sharpness against the metric."""
    check_population_size(records, L)
    return {
        "L": L,
        "metric": metric.name,
        "direction": metric.direction,
        "alpha": alpha,
        "records": len(records),
        "set_comparison": set_comparison_answer(records, L, metric, alpha),
        "optimizer_comparison": optimizer_comparison_answer(records, L, metric, "A", alpha),
        "populations": {
            which: populations_answer(records, which, L, metric) for which in ("A", "B")
        },
        "sweep": training_sweep_answer(records, spec, L, metric, confidence),
        "learning_curves": curves_answer(records, column, window),
        "sharpness_against_metric": sharpness_against_metric(records, metric.name),
    }
