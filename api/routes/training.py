"""Training experiments: records, Set A / Set B, optimizer comparisons, learning curves.

Everything is computed on demand from the stored records; L, the metric and the set are
query parameters, so one experiment answers any of these questions without re-running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import func, select

from api.deps import Reader, ResultsDep, SessionDep, release
from api.routes.experiments import ExperimentId, load_experiment
from api.schemas import (
    READ,
    LearningCurves,
    OptimizerComparisons,
    Plan,
    Populations,
    RecordPage,
    SetComparisons,
    TrainingSweeps,
    responses,
)
from api.services.cache import cached, experiment_key
from api.services.jsonable import jsonable
from api.services.populations import (
    optimizer_comparison_answer,
    plan_answer,
    populations_answer,
    set_comparison_answer,
)
from api.services.records import RECORD_COLUMNS, records_frame, records_query
from api.services.sweeps import training_sweep_answer
from shared.db.models import Experiment
from shared.spec import MAX_POPULATION_SIZE, TrainingSpec, parse_spec
from shared.stats.curves import learning_curves
from shared.stats.power import MAX_TRAJECTORIES
from shared.stats.sharpness import SHARPNESS, converged_sharpness
from shared.tasks.catalog import task_declaration
from shared.tasks.declarations import TaskDeclaration, UnknownMetricError, UnknownTaskError
from shared.tasks.metrics import Metric

router = APIRouter(prefix="/experiments", tags=["training"])

# 409: a landscape experiment, or one with no records yet
TRAINING_ERRORS = responses(*READ, 404, 409, 422)

MetricName = Annotated[
    str | None,
    Query(
        max_length=64,
        description="a metric the experiment's task reports (GET /tasks lists them); "
        "default: the task's first",
    ),
]
#: Record columns a learning curve may show besides the task's metrics.
CURVE_COLUMNS = ("train_loss", "running_loss", "test_loss", "sharpness")
PerTrajectory = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_POPULATION_SIZE,
        alias="L",
        description="models per trajectory (default: the spec's population_size); at most "
        "the candidate models a trajectory holds",
    ),
]
Alpha = Annotated[
    float,
    Query(ge=1e-6, le=0.5, description="significance level of the tests and warnings"),
]


def _training(session: SessionDep, experiment_id: int) -> tuple[Experiment, TrainingSpec]:
    experiment = load_experiment(session, experiment_id)
    if experiment.kind != "training":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"experiment {experiment_id} is a {experiment.kind} experiment",
        )
    spec = parse_spec(experiment.spec, catalog=False)
    assert isinstance(spec, TrainingSpec)
    return experiment, spec


def _answer(
    session: SessionDep,
    results: ResultsDep,
    experiment_id: int,
    name: str,
    per_trajectory: int | None,
    metric: str | None,
    extra: tuple,
    compute: Callable[[pd.DataFrame, int, Metric], dict[str, Any]],
) -> dict[str, Any]:
    """Resolve L (default: the spec's) and the metric (default: the task's first; its
    direction from the task's declaration), then compute from the records — once per
    process for a finished experiment."""
    experiment, spec = _training(session, experiment_id)
    declaration = _task(spec)
    try:
        chosen = declaration.metric_named(metric)
    except UnknownMetricError as error:
        raise HTTPException(
            422, [{"loc": ["query", "metric"], "type": "value_error", "msg": str(error)}]
        ) from None
    L = per_trajectory or spec.population_size
    return cached(
        results,
        experiment_key(experiment, name, L, chosen.name, *extra),
        lambda: compute(_frame(session, experiment, declaration), L, chosen),
    )


def _task(spec: TrainingSpec) -> TaskDeclaration:
    """The experiment's task, as this server has it (409 if it no longer does)."""
    try:
        return task_declaration(spec.task)
    except UnknownTaskError as error:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"this server does not have the experiment's task ({error}); install its "
            "plugin to read the statistics",
        ) from None


def _frame(
    session: SessionDep, experiment: Experiment, declaration: TaskDeclaration
) -> pd.DataFrame:
    frame = records_frame(session, experiment.id, declaration.metric_names)
    release(session)  # the statistics run without holding a connection or a snapshot
    if frame.empty:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"experiment {experiment.id} has no records yet"
        )
    return frame


@router.get("/{experiment_id}/records", response_model=RecordPage, responses=TRAINING_ERRORS)
def records(
    experiment_id: ExperimentId,
    session: SessionDep,
    user: Reader,
    optimizer: Annotated[str | None, Query(max_length=64)] = None,
    trajectory: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict[str, Any]:
    """Stored model records, ordered by optimizer, trajectory and step; paged."""
    experiment, _ = _training(session, experiment_id)
    query = records_query(experiment.id, optimizer, trajectory)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.limit(limit).offset(offset)).all()
    columns = ["optimizer", "trajectory", *RECORD_COLUMNS]  # metrics: a JSON object
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": jsonable(
            [{**dict(zip(columns, row, strict=True)), "metrics": row.metrics or {}} for row in rows]
        ),
    }


@router.get(
    "/{experiment_id}/populations",
    response_model=Populations,
    response_model_exclude_unset=True,
    responses=TRAINING_ERRORS,
)
def populations(
    experiment_id: ExperimentId,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    which: Literal["A", "B"] = "A",
    per_trajectory: PerTrajectory = None,
    metric: MetricName = None,
) -> dict[str, Any]:
    """Set A (lowest training loss) or Set B (best test metric, in the direction the task
    declares): the L models of each trajectory, per optimizer, with the loss-vs-metric
    Spearman correlation."""
    return _answer(
        session,
        results,
        experiment_id,
        "populations",
        per_trajectory,
        metric,
        (which,),
        lambda records, L, metric: populations_answer(records, which, L, metric),
    )


@router.get(
    "/{experiment_id}/set-comparison", response_model=SetComparisons, responses=TRAINING_ERRORS
)
def set_comparison(
    experiment_id: ExperimentId,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    per_trajectory: PerTrajectory = None,
    metric: MetricName = None,
    alpha: Alpha = 0.05,
) -> dict[str, Any]:
    """Per optimizer, Set A vs Set B on the test metric and on training loss: Mann–Whitney
    U, Student and Welch t, effect sizes with a cluster-bootstrap interval, a
    trajectory-level test (its smallest reachable p and the trajectories it needs) and
    whether the two levels disagree; summaries of both sets, their overlap, the candidate
    counts, and warnings in words."""
    return _answer(
        session,
        results,
        experiment_id,
        "set-comparison",
        per_trajectory,
        metric,
        (alpha,),
        lambda records, L, metric: set_comparison_answer(records, L, metric, alpha),
    )


@router.get(
    "/{experiment_id}/optimizer-comparison",
    response_model=OptimizerComparisons,
    responses=TRAINING_ERRORS,
)
def optimizer_comparison(
    experiment_id: ExperimentId,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    which: Literal["A", "B"] = "A",
    per_trajectory: PerTrajectory = None,
    metric: MetricName = None,
    alpha: Alpha = 0.05,
) -> dict[str, Any]:
    """Every pair of optimizers on Set A (or B), with Holm-adjusted p-values and the
    candidate counts per optimizer."""
    return _answer(
        session,
        results,
        experiment_id,
        "optimizer-comparison",
        per_trajectory,
        metric,
        (which, alpha),
        lambda records, L, metric: optimizer_comparison_answer(records, L, metric, which, alpha),
    )


@router.get("/{experiment_id}/plan", response_model=Plan, responses=TRAINING_ERRORS)
def plan(
    experiment_id: ExperimentId,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    which: Literal["A", "B"] = "A",
    per_trajectory: PerTrajectory = None,
    metric: MetricName = None,
    alpha: Alpha = 0.05,
    power: Annotated[float, Query(ge=0.5, le=0.99, description="power to reach")] = 0.8,
    max_trajectories: Annotated[
        int, Query(ge=2, le=MAX_TRAJECTORIES, description="look no further than this")
    ] = MAX_TRAJECTORIES,
    pair: Annotated[
        list[str] | None,
        Query(
            min_length=2,
            max_length=2,
            description="two optimizers (`pair=sgd&pair=sam`): plan only this pair, at α "
            "(a family of one) instead of every pair at the Holm level",
        ),
    ] = None,
) -> dict[str, Any]:
    """With this experiment as a pilot: how many trajectories per side give ``power`` to
    detect its observed differences with the trajectory-level tests, simulated from its
    between-trajectory variance (Set A vs Set B per optimizer at ``alpha``, and optimizer
    pairs on Set ``which`` at the Holm level the optimizer comparison reports, α/m for m
    pairs, or one stated ``pair`` at ``alpha``); ``levels`` says which."""
    stated = (pair[0], pair[1]) if pair else None
    return _answer(
        session,
        results,
        experiment_id,
        "plan",
        per_trajectory,
        metric,
        (which, alpha, power, max_trajectories, stated),
        lambda records, L, metric: plan_answer(
            records,
            L,
            metric,
            which,
            alpha,
            power,
            max_trajectories,
            stated,  # type: ignore[arg-type]
        ),
    )


@router.get(
    "/{experiment_id}/learning-curves", response_model=LearningCurves, responses=TRAINING_ERRORS
)
def curves(
    experiment_id: ExperimentId,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    column: Annotated[
        str,
        Query(
            max_length=64,
            description="train_loss, running_loss, test_loss, sharpness, or a metric the "
            "task reports",
        ),
    ] = "test_loss",
    window: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> dict[str, Any]:
    """Per optimizer, the column over gradient evaluations across trajectories (mean,
    std, min, max) with a trailing moving average over ``window`` evaluation points."""
    experiment, spec = _training(session, experiment_id)
    declaration = _task(spec)
    valid = (*CURVE_COLUMNS, *declaration.metric_names)
    if column not in valid:
        raise HTTPException(
            422,
            [
                {
                    "loc": ["query", "column"],
                    "type": "value_error",
                    "msg": f"column: {column!r} is not a record column of task "
                    f"{declaration.name!r}; valid ones: {', '.join(valid)}",
                }
            ],
        )
    return cached(
        results,
        experiment_key(experiment, "curves", column, window),
        lambda: _curves(_frame(session, experiment, declaration), column, window),
    )


def _curves(records: pd.DataFrame, column: str, window: int) -> dict[str, Any]:
    if column == SHARPNESS:  # as in every sharpness statistic, unconverged values left out
        records = converged_sharpness(records)
    frame = learning_curves(records, column, window)
    return {
        "column": column,
        "window": window,
        "optimizers": {
            str(name): jsonable(group.drop(columns="optimizer").to_dict("list"))
            for name, group in frame.groupby("optimizer", sort=True)
        },
    }


@router.get("/{experiment_id}/sweep", response_model=TrainingSweeps, responses=TRAINING_ERRORS)
def sweep(
    experiment_id: ExperimentId,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    per_trajectory: PerTrajectory = None,
    metric: MetricName = None,
    confidence: Annotated[float, Query(ge=0.5, le=0.999, description="interval level")] = 0.95,
) -> dict[str, Any]:
    """Each swept optimizer entry's Set A median of the metric, with its cluster-bootstrap
    interval, at every grid point: what a sweep plot draws against the swept values."""
    _, spec = _training(session, experiment_id)
    return _answer(
        session,
        results,
        experiment_id,
        "sweep",
        per_trajectory,
        metric,
        (confidence,),
        lambda records, L, metric: training_sweep_answer(records, spec, L, metric, confidence),
    )
