"""A training experiment's sweeps: each swept entry's Set A median (with its cluster-
bootstrap interval) at every grid point, the series a sweep plot draws.

Set A comes from :func:`shared.stats.populations.set_a` (step-0 and post-divergence
records are never candidates) and the interval from
:func:`shared.stats.bootstrap.median_interval`, which resamples whole trajectories.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from api.services.jsonable import jsonable
from api.services.populations import check_population_size
from shared.spec import TrainingSpec
from shared.stats.bootstrap import median_interval
from shared.stats.populations import check_metric, set_a
from shared.sweeps import expand, sweep_series
from shared.tasks.metrics import Metric


def training_sweep_answer(
    records: pd.DataFrame, spec: TrainingSpec, L: int, declared: Metric, confidence: float
) -> dict[str, Any]:
    """``{"L", "metric", "direction", "confidence", "sweeps": [series]}``; each point
    carries ``median``, ``interval`` [low, high] and ``trajectories`` once it has records."""
    check_population_size(records, L)
    metric = declared.name
    check_metric(records, metric, declared.direction)
    chosen = set_a(records, L)
    by_optimizer = {str(k): group for k, group in chosen.groupby("optimizer", sort=False)}

    def measure(key: str) -> dict[str, Any] | None:
        models = by_optimizer.get(key)
        if models is None:
            return None
        groups = [
            g[metric].to_numpy(dtype=float)[np.isfinite(g[metric].to_numpy(dtype=float))]
            for _, g in models.groupby("trajectory", sort=True)
        ]
        pooled = np.concatenate(groups) if groups else np.zeros(0)
        interval = median_interval(groups, confidence_level=confidence)
        return {
            "median": float(np.median(pooled)) if pooled.size else None,
            "interval": [interval.low, interval.high],
            "trajectories": len(groups),
            "note": interval.note,
        }

    return jsonable(
        {
            "L": L,
            "metric": metric,
            "direction": declared.direction,
            "confidence": confidence,
            "sweeps": sweep_series(expand(spec.optimizers), measure),
        }
    )
