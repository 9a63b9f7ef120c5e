"""The lab leaderboard: per task, every optimizer configuration of every finished
training experiment, ranked by its Set A median test metric (computed by
``api.services.leaderboard``; the route checks the task and the metric)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from api.deps import Reader, ResultsDep, SessionDep
from api.schemas import READ, Leaderboard, responses
from api.services.leaderboard import leaderboard as leaderboard_of
from shared.tasks.catalog import task_declaration, task_names
from shared.tasks.declarations import UnknownMetricError, UnknownTaskError

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
    return leaderboard_of(session, results, task, chosen, alpha)


def _unprocessable(parameter: str, message: str) -> HTTPException:
    return HTTPException(
        422, [{"loc": ["query", parameter], "type": "value_error", "msg": message}]
    )
