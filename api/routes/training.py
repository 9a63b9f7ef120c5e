"""Training experiments: records, Set A / Set B, optimizer comparisons, learning curves,
and the page's view of all of them in one answer.

Everything is computed on demand from the stored records; L, the metric and the set are
query parameters, so one experiment answers any of these questions without re-running.
Answers are cached per process: a finished experiment's for good, a running one's until
its next record (api.services.cache).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from sqlalchemy import func, select

from api.deps import ExperimentDep, Reader, ResultsDep, SessionDep, release
from api.schemas import (
    READ,
    LearningCurves,
    OptimizerComparisons,
    Plan,
    Populations,
    RecordPage,
    SetComparisons,
    TrainingSweeps,
    TrainingView,
    responses,
)
from api.services.cache import entity_tag, experiment_key, matches, state_key
from api.services.curves import curve_column_error, curves_answer
from api.services.jsonable import jsonable
from api.services.populations import (
    optimizer_comparison_answer,
    plan_answer,
    populations_answer,
    set_comparison_answer,
)
from api.services.records import (
    RECORD_COLUMNS,
    RecordCount,
    record_count,
    records_frame,
    records_query,
)
from api.services.sweeps import training_sweep_answer
from api.services.view import training_view_answer
from shared.db.models import Experiment
from shared.spec import MAX_POPULATION_SIZE, TrainingSpec, parse_spec
from shared.stats.power import MAX_TRAJECTORIES
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
Confidence = Annotated[float, Query(ge=0.5, le=0.999, description="interval level")]
CurveColumn = Annotated[
    str,
    Query(
        max_length=64,
        description="train_loss, running_loss, test_loss, sharpness, or a metric the task reports",
    ),
]
Window = Annotated[int, Query(ge=1, le=1000, description="evaluation points averaged")]


@dataclass(frozen=True)
class TrainingExperiment:
    """A training experiment with its parsed spec."""

    experiment: Experiment
    spec: TrainingSpec

    def task(self) -> TaskDeclaration:
        """The experiment's task, as this server has it (409 if it no longer does)."""
        try:
            return task_declaration(self.spec.task)
        except UnknownTaskError as error:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"this server does not have the experiment's task ({error}); install its "
                "plugin to read the statistics",
            ) from None


def training_experiment(experiment: ExperimentDep) -> TrainingExperiment:
    """The path's experiment, which must be a training experiment (409 otherwise)."""
    if experiment.kind != "training":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"experiment {experiment.id} is a {experiment.kind} experiment",
        )
    spec = parse_spec(experiment.spec, catalog=False)
    assert isinstance(spec, TrainingSpec)
    return TrainingExperiment(experiment, spec)


TrainingDep = Annotated[TrainingExperiment, Depends(training_experiment)]


def _metric(declaration: TaskDeclaration, metric: str | None) -> Metric:
    """The named metric of the task (default: its first); 422 naming ``metric``."""
    try:
        return declaration.metric_named(metric)
    except UnknownMetricError as error:
        raise HTTPException(
            422, [{"loc": ["query", "metric"], "type": "value_error", "msg": str(error)}]
        ) from None


def _key(session: SessionDep, experiment: Experiment, *parts: Any) -> tuple:
    """The cache key of an answer: a finished experiment's without counting its records,
    a running one's at its current record count."""
    return experiment_key(experiment, *parts) or state_key(
        experiment, record_count(session, experiment.id), *parts
    )


def _answer(
    session: SessionDep,
    results: ResultsDep,
    training: TrainingExperiment,
    name: str,
    per_trajectory: int | None,
    metric: str | None,
    extra: tuple,
    compute: Callable[[pd.DataFrame, int, Metric], dict[str, Any]],
) -> dict[str, Any]:
    """Resolve L (default: the spec's) and the metric (default: the task's first; its
    direction from the task's declaration), then compute from the records — once per
    process for a finished experiment, once per record count for a running one."""
    declaration = training.task()
    chosen = _metric(declaration, metric)
    L = per_trajectory or training.spec.population_size
    experiment = training.experiment
    return results.get(
        _key(session, experiment, name, L, chosen.name, *extra),
        lambda: compute(_frame(session, experiment, declaration), L, chosen),
    )


def _frame(
    session: SessionDep,
    experiment: Experiment,
    declaration: TaskDeclaration,
    counted: RecordCount | None = None,
) -> pd.DataFrame:
    frame = records_frame(
        session,
        experiment.id,
        declaration.metric_names,
        up_to=None if counted is None else counted.last_id,
    )
    release(session)  # the statistics run without holding a connection or a snapshot
    if frame.empty:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"experiment {experiment.id} has no records yet"
        )
    return frame


@router.get("/{experiment_id}/records", response_model=RecordPage, responses=TRAINING_ERRORS)
def records(
    training: TrainingDep,
    session: SessionDep,
    user: Reader,
    optimizer: Annotated[str | None, Query(max_length=64)] = None,
    trajectory: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict[str, Any]:
    """Stored model records, ordered by optimizer, trajectory and step; paged."""
    query = records_query(training.experiment.id, optimizer, trajectory)
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
    "/{experiment_id}/view",
    response_model=TrainingView,
    responses={
        **TRAINING_ERRORS,
        304: {"description": "unchanged since the answer whose ETag If-None-Match names"},
    },
)
def view(
    training: TrainingDep,
    request: Request,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    per_trajectory: PerTrajectory = None,
    metric: MetricName = None,
    alpha: Alpha = 0.05,
    confidence: Confidence = 0.95,
    column: CurveColumn = "test_loss",
    window: Window = 3,
    if_none_match: Annotated[str | None, Header(max_length=2000)] = None,
) -> Response:
    """Everything the page shows of a training experiment in one answer, from one load
    of its records: Set A vs Set B (with its warnings said once), the optimizer pairs on
    Set A, both populations with each member's sharpness, the sweeps, the learning curve
    of ``column``, and sharpness against the metric. The ETag changes with the
    experiment's state, its record count and the parameters; ``If-None-Match`` with the
    current one is a 304 without a body. A running experiment's answer is computed once
    per record count."""
    experiment = training.experiment
    declaration = training.task()
    chosen = _metric(declaration, metric)
    error = curve_column_error(column, declaration.name, declaration.metric_names)
    if error is not None:
        raise HTTPException(
            422, [{"loc": ["query", "column"], "type": "value_error", "msg": error}]
        )
    L = per_trajectory or training.spec.population_size
    counted = record_count(session, experiment.id)
    key = state_key(experiment, counted, "view", L, chosen.name, alpha, confidence, column, window)
    headers = {"ETag": entity_tag(key, request.app.version), "Cache-Control": "private, no-cache"}
    if matches(if_none_match, headers["ETag"]):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)

    def compute() -> bytes:
        frame = _frame(session, experiment, declaration, counted)
        answer = training_view_answer(
            frame,
            training.spec,
            L,
            chosen,
            alpha=alpha,
            confidence=confidence,
            column=column,
            window=window,
        )
        # validated and encoded once; every later request sends the same bytes
        return TrainingView.model_validate(answer).model_dump_json().encode()

    return Response(results.get(key, compute), media_type="application/json", headers=headers)


@router.get(
    "/{experiment_id}/populations",
    response_model=Populations,
    response_model_exclude_unset=True,
    responses=TRAINING_ERRORS,
)
def populations(
    training: TrainingDep,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    which: Literal["A", "B"] = "A",
    per_trajectory: PerTrajectory = None,
    metric: MetricName = None,
) -> dict[str, Any]:
    """Set A (lowest training loss) or Set B (best test metric, in the direction the task
    declares): the L models of each trajectory, per optimizer (with each model's
    sharpness where the experiment measured it), with the loss-vs-metric Spearman
    correlation."""
    return _answer(
        session,
        results,
        training,
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
    training: TrainingDep,
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
    counts, and warnings in words (each distinct one also once in ``warnings``, naming
    the optimizers it concerns)."""
    return _answer(
        session,
        results,
        training,
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
    training: TrainingDep,
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
        training,
        "optimizer-comparison",
        per_trajectory,
        metric,
        (which, alpha),
        lambda records, L, metric: optimizer_comparison_answer(records, L, metric, which, alpha),
    )


@router.get("/{experiment_id}/plan", response_model=Plan, responses=TRAINING_ERRORS)
def plan(
    training: TrainingDep,
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
        training,
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
    training: TrainingDep,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    column: CurveColumn = "test_loss",
    window: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> dict[str, Any]:
    """Per optimizer, the column over gradient evaluations across trajectories (mean,
    std, min, max) with a trailing moving average over ``window`` evaluation points."""
    declaration = training.task()
    error = curve_column_error(column, declaration.name, declaration.metric_names)
    if error is not None:
        raise HTTPException(
            422, [{"loc": ["query", "column"], "type": "value_error", "msg": error}]
        )
    experiment = training.experiment
    return results.get(
        _key(session, experiment, "curves", column, window),
        lambda: curves_answer(_frame(session, experiment, declaration), column, window),
    )


@router.get("/{experiment_id}/sweep", response_model=TrainingSweeps, responses=TRAINING_ERRORS)
def sweep(
    training: TrainingDep,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    per_trajectory: PerTrajectory = None,
    metric: MetricName = None,
    confidence: Confidence = 0.95,
) -> dict[str, Any]:
    """Each swept optimizer entry's Set A median of the metric, with its cluster-bootstrap
    interval, at every grid point: what a sweep plot draws against the swept values."""
    return _answer(
        session,
        results,
        training,
        "sweep",
        per_trajectory,
        metric,
        (confidence,),
        lambda records, L, metric: training_sweep_answer(
            records, training.spec, L, metric, confidence
        ),
    )
