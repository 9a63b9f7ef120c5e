"""The lab leaderboard: per task, every optimizer configuration of every finished
training experiment, ranked by its Set A median test metric.

The experiments are chosen in SQL (training, succeeded, on the task) and their records
read in one query, so a board costs the same few queries however many experiments the
lab has finished; the ranking runs after the request's transaction has ended.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import release
from api.services.cache import ResultCache
from api.services.jsonable import jsonable
from api.services.records import records_frames
from shared.db.models import Experiment, Status
from shared.spec import TrainingSpec, parse_spec
from shared.stats.leaderboard import rank_configurations, tie_rule
from shared.stats.populations import set_a
from shared.tasks.metrics import Metric


def finished_on(session: Session, task: str) -> list[Experiment]:
    """The succeeded training experiments on ``task``, oldest first (their owners
    loaded with them)."""
    return list(
        session.scalars(
            select(Experiment)
            .where(
                Experiment.kind == "training",
                Experiment.status == Status.succeeded,
                Experiment.spec["task"].as_string() == task,
            )
            .order_by(Experiment.id)
        ).all()
    )


def leaderboard(
    session: Session, results: ResultCache, task: str, metric: Metric, alpha: float
) -> dict[str, Any]:
    """The board of ``task`` ranked by ``metric`` (a metric the task declares), computed
    once per set of finished experiments."""
    experiments = finished_on(session, task)
    key = (
        "leaderboard",
        task,
        metric.name,
        alpha,
        tuple((e.id, e.created_at, e.finished_at) for e in experiments),
    )
    return results.get(key, lambda: _board(session, experiments, task, metric, alpha))


def _board(
    session: Session, experiments: list[Experiment], task: str, declared: Metric, alpha: float
) -> dict[str, Any]:
    metric = declared.name
    by_id = {e.id: e for e in experiments}
    samples: dict[str, list[np.ndarray]] = {}
    details: dict[str, dict[str, Any]] = {}
    for experiment_id, frame in records_frames(session, by_id, [metric]):
        experiment = by_id[experiment_id]
        spec = parse_spec(experiment.spec, catalog=False)
        assert isinstance(spec, TrainingSpec)
        chosen = set_a(frame, spec.population_size)
        for o in spec.optimizers:
            models = chosen[chosen["optimizer"] == o.key]
            if models.empty:
                continue
            key = f"{experiment.id}/{o.key}"
            samples[key] = [
                rows[metric].to_numpy(dtype=float)
                for _, rows in models.groupby("trajectory", sort=True)
            ]
            final = (
                frame[frame["optimizer"] == o.key]
                .groupby("trajectory")["gradient_evaluations"]
                .max()
            )
            details[key] = {
                "experiment_id": experiment.id,
                "experiment": experiment.name,
                "optimizer": o.key,
                "name": o.optimizer,
                "hyperparameters": o.hyperparameters,
                "trajectories": int(final.size),
                "gradient_evaluations_per_trajectory": float(final.median()),
                "submitter": experiment.owner.name,
                "L": spec.population_size,
            }
    release(session)  # the bootstrap and the tests run without holding a connection
    ranked = rank_configurations(samples, higher_is_better=declared.higher_is_better, alpha=alpha)
    return {
        "task": task,
        "metric": metric,
        "direction": declared.direction,
        "alpha": alpha,
        "ties": tie_rule(alpha),
        "entries": [{**details[r.key], **jsonable(r)} for r in ranked],
    }
