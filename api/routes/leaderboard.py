"""The lab leaderboard: per task, every optimizer configuration of every finished
training experiment, ranked by its Set A median test metric."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select

from api.deps import Reader, ResultsDep, SessionDep, release
from api.schemas import READ, Leaderboard, responses
from api.services.jsonable import jsonable
from api.services.records import records_frame
from shared.db.models import Experiment, Status
from shared.spec import TrainingSpec, parse_spec
from shared.stats.leaderboard import rank_configurations, tie_rule
from shared.stats.populations import set_a
from shared.tasks.catalog import task_declaration, task_names
from shared.tasks.declarations import UnknownMetricError, UnknownTaskError
from shared.tasks.metrics import Metric

router = APIRouter(tags=["leaderboard"])


@router.get("/leaderboard", response_model=Leaderboard, responses=responses(*READ, 422))
def leaderboard(
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    task: Annotated[
        str,
        Query(max_length=64, description="a task of the catalog (GET /tasks)"),
    ],
    metric: Annotated[
        str | None,
        Query(max_length=64, description="a metric the task reports; default: its first"),
    ] = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
) -> dict[str, Any]:
    """Set A median of the task's metric with a cluster-bootstrap CI (whole trajectories
    resampled), trajectories, gradient evaluations per trajectory and submitter, best
    first in the metric's direction; configurations the trajectory-level test cannot tell
    from the best at alpha share its rank (``ties`` says how, in words)."""
    try:
        chosen = task_declaration(task).metric_named(metric)
    except UnknownTaskError:
        raise _unprocessable(
            "task", f"unknown task {task!r}; valid ones: {', '.join(task_names())}"
        ) from None
    except UnknownMetricError as error:
        raise _unprocessable("metric", str(error)) from None
    experiments = session.scalars(
        select(Experiment)
        .where(Experiment.kind == "training", Experiment.status == Status.succeeded)
        .order_by(Experiment.id)
    ).all()
    relevant = [
        e
        for e in experiments
        if (spec := parse_spec(e.spec, catalog=False)).kind == "training" and spec.task == task
    ]
    key = (
        "leaderboard",
        task,
        chosen.name,
        alpha,
        tuple((e.id, e.created_at, e.finished_at) for e in relevant),
    )
    return results.get(key, lambda: _board(session, relevant, task, chosen, alpha))


def _unprocessable(parameter: str, message: str) -> HTTPException:
    return HTTPException(
        422, [{"loc": ["query", parameter], "type": "value_error", "msg": message}]
    )


def _board(
    session: SessionDep, experiments: list[Experiment], task: str, declared: Metric, alpha: float
) -> dict[str, Any]:
    metric = declared.name
    samples: dict[str, list[np.ndarray]] = {}
    details: dict[str, dict[str, Any]] = {}
    for experiment in experiments:
        spec = parse_spec(experiment.spec, catalog=False)
        assert isinstance(spec, TrainingSpec)
        frame = records_frame(session, experiment.id, [metric])
        if frame.empty:
            continue
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
