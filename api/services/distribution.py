"""The stationary distribution of a landscape experiment, computed from stored end points.

Basins are assigned at query time, so the assignment method, the capture radius, the
confidence level and the test can be chosen per request without re-running anything.
All optimizers of one function are polished in one batch (one vectorised pass over every
stored end point, at most ``POLISH_STEPS`` steps), and the summary and its pair tests
come from :func:`shared.landscapes.summary.summarize_distribution`, the same function
the library and the CLI use.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import release
from api.services.cache import ResultCache, cached, experiment_key
from shared.db.arrays import from_bytes
from shared.db.models import Experiment, LandscapeResult, Run
from shared.landscapes.basins import BasinAssignment, assign_basins, polish
from shared.landscapes.functions import landscape
from shared.landscapes.summary import summarize_distribution
from shared.spec import LandscapeSpec, parse_spec
from shared.sweeps import expand, sweep_series


def _split(assignment: BasinAssignment, sizes: list[int]) -> list[BasinAssignment]:
    bounds = np.cumsum([0, *sizes])
    return [
        BasinAssignment(
            assignment.method,
            assignment.basins[lo:hi],
            assignment.converged[lo:hi],
            assignment.polish_steps[lo:hi],
            assignment.polish_gradient_evaluations[lo:hi],
        )
        for lo, hi in itertools.pairwise(bounds)
    ]


def landscape_distribution(
    session: Session,
    experiment: Experiment,
    *,
    capture_radius: float | None = None,
    confidence: float = 0.95,
    test: str = "g",
    assignment: str = "basin",
    cache: ResultCache | None = None,
) -> dict[str, Any]:
    """The distribution answer; ``cache`` keeps each function's polish of a finished
    experiment's end points for later requests."""
    spec = parse_spec(experiment.spec, catalog=False)
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
    release(session)  # the polish and the tests run without holding a connection
    by_key = {(r.function, r.optimizer): r for r in rows}
    configurations = expand(spec.optimizers)  # stored expanded; older specs too
    functions = []
    for function in spec.functions:
        f = landscape(function)
        optimizers: list[dict[str, Any]] = []
        done, ends, diverged = [], [], {}
        for o in configurations:
            row = by_key.get((function, o.key))
            entry: dict[str, Any] = {
                "optimizer": o.key,
                "name": o.optimizer,
                "status": row.status if row else "missing",
            }
            if o.sweep_values:
                entry["sweep"] = {"of": o.sweep_of, "values": dict(o.sweep_values)}
            if row is not None and row.end_points is not None:
                ends.append(from_bytes(row.end_points, "f8", (row.restarts, 2)))
                last = from_bytes(row.last_iterates, "f8", (row.restarts, 2))
                diverged[o.key] = int((~np.isfinite(last).all(axis=1)).sum())
                done.append(entry)
                entry |= {
                    "restarts": row.restarts,
                    "hyperparameters": row.hyperparameters,
                    "gradient_evaluations_per_restart": row.gradient_evaluations,
                    "loss_evaluations_per_restart": row.loss_evaluations,
                }
            optimizers.append(entry)
        tests: list[dict[str, Any]] = []
        if done:
            points = np.concatenate(ends)
            polished = None
            if assignment == "basin":
                # The polish does not depend on the radius: kept per finished experiment,
                # so other radii, levels and tests cost no second polish.
                polished = cached(
                    cache,
                    experiment_key(experiment, "polish", function) if cache else None,
                    lambda f=f, points=points: polish(f, points, f.minima),
                )
            together = assign_basins(f, points, radius, assignment, polished=polished)
            parts = _split(together, [len(e) for e in ends])
            summary = summarize_distribution(
                f.minima,
                {e["optimizer"]: part for e, part in zip(done, parts, strict=True)},
                confidence=confidence,
                test=test,
            )
            for entry, summarized in zip(done, summary.optimizers, strict=True):
                entry |= {k: v for k, v in summarized.as_dict().items() if k not in ("optimizer",)}
                entry["diverged"] = diverged[entry["optimizer"]]
            tests = [p.as_dict() for p in summary.pairs]
        by_optimizer = {e["optimizer"]: e for e in optimizers}
        functions.append(
            {
                "function": function,
                "minima": [m.as_dict() for m in f.minima],
                "optimizers": optimizers,
                "tests": tests,
                "sweeps": sweep_series(
                    configurations,
                    lambda key, by=by_optimizer: {
                        k: by[key][k] for k in ("fractions", "intervals") if k in by[key]
                    },
                ),
            }
        )
    return {
        "experiment_id": experiment.id,
        "capture_radius": radius,
        "confidence": confidence,
        "test": test,
        "assignment": assignment,
        "functions": functions,
    }
