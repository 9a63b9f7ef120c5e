"""The stationary distribution of a landscape experiment, computed from stored end points.

Basins are assigned at query time, so the capture radius (and the confidence level and
the test) can be chosen per request without re-running anything.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db.arrays import from_bytes
from shared.db.models import Experiment, LandscapeResult, Run
from shared.landscapes.functions import landscape
from shared.landscapes.study import ELSE, classify
from shared.spec import LandscapeSpec, parse_spec
from shared.stats.corrections import holm
from shared.stats.proportions import compare_distributions, proportion_intervals


def landscape_distribution(
    session: Session,
    experiment: Experiment,
    *,
    capture_radius: float | None = None,
    confidence: float = 0.95,
    test: str = "g",
) -> dict[str, Any]:
    spec = parse_spec(experiment.spec)
    assert isinstance(spec, LandscapeSpec)
    radius = capture_radius if capture_radius is not None else spec.capture_radius
    rows = session.execute(
        select(
            Run.function,
            Run.optimizer,
            Run.status,
            LandscapeResult.restarts,
            LandscapeResult.end_points,
            LandscapeResult.last_iterates,
            LandscapeResult.hyperparameters,
            LandscapeResult.gradient_evaluations,
            LandscapeResult.loss_evaluations,
        )
        .outerjoin(LandscapeResult, LandscapeResult.run_id == Run.id)
        .where(Run.experiment_id == experiment.id)
    ).all()
    by_key = {(r.function, r.optimizer): r for r in rows}
    functions = []
    for function in spec.functions:
        minima = landscape(function).minima
        labels = [m.label for m in minima] + [ELSE]
        optimizers, basins = [], {}
        for o in spec.optimizers:
            row = by_key.get((function, o.key))
            entry: dict[str, Any] = {
                "optimizer": o.key,
                "name": o.name,
                "status": row.status if row else "missing",
            }
            if row is not None and row.end_points is not None:
                ends = from_bytes(row.end_points, "f8", (row.restarts, 2))
                last = from_bytes(row.last_iterates, "f8", (row.restarts, 2))
                assigned = classify(ends, minima, radius)
                basins[o.key] = assigned
                tally = np.bincount(assigned + 1, minlength=len(minima) + 1)
                counts = [int(c) for c in tally[1:]] + [int(tally[0])]
                intervals = proportion_intervals(counts, confidence)
                entry |= {
                    "restarts": row.restarts,
                    "hyperparameters": row.hyperparameters,
                    "counts": dict(zip(labels, counts, strict=True)),
                    "fractions": {k: i.fraction for k, i in zip(labels, intervals, strict=True)},
                    "intervals": {
                        k: [i.low, i.high] for k, i in zip(labels, intervals, strict=True)
                    },
                    "diverged": int((~np.isfinite(last).all(axis=1)).sum()),
                    "gradient_evaluations_per_restart": row.gradient_evaluations,
                    "loss_evaluations_per_restart": row.loss_evaluations,
                }
            optimizers.append(entry)
        functions.append(
            {
                "function": function,
                "minima": [m.as_dict() for m in minima],
                "optimizers": optimizers,
                "tests": _pairwise_tests(optimizers, basins, test),
            }
        )
    return {
        "experiment_id": experiment.id,
        "capture_radius": radius,
        "confidence": confidence,
        "test": test,
        "functions": functions,
    }


def _pairwise_tests(
    optimizers: list[dict[str, Any]], basins: dict[str, np.ndarray], test: str
) -> list[dict[str, Any]]:
    """Every pair of finished optimizers: the test, Holm-adjusted p, and agreement."""
    done = [o for o in optimizers if "counts" in o]
    tests = []
    for a, b in combinations(done, 2):
        result = compare_distributions(list(a["counts"].values()), list(b["counts"].values()), test)
        same_starts = basins[a["optimizer"]].shape == basins[b["optimizer"]].shape
        tests.append(
            {
                "a": a["optimizer"],
                "b": b["optimizer"],
                "test": result.test,
                "statistic": result.statistic,
                "dof": result.dof,
                "pvalue": result.pvalue,
                # restart r of every optimizer starts from the same point
                "agreement": float((basins[a["optimizer"]] == basins[b["optimizer"]]).mean())
                if same_starts
                else None,
            }
        )
    if tests:
        adjusted = holm([t["pvalue"] for t in tests])
        for t, p in zip(tests, adjusted, strict=True):
            t["pvalue_holm"] = float(p)
    return tests
