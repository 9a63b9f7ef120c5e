"""Experiments: submit, list, inspect, cancel, delete, and their landscape results."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request, Response, status
from sqlalchemy import func, select

from api.deps import (
    ArtifactsDep,
    CurrentUser,
    DispatcherDep,
    Reader,
    ResultsDep,
    SessionDep,
    SettingsDep,
    may_modify,
)
from api.schemas import (
    READ,
    Accepted,
    Distribution,
    EndPoints,
    ExperimentOut,
    ExperimentPage,
    RunOut,
    responses,
)
from api.services.cache import cached, experiment_key
from api.services.distribution import landscape_distribution
from api.services.models import delete_experiment_files, stored_size
from shared.db.arrays import from_bytes
from shared.db.base import utcnow
from shared.db.models import Experiment, LandscapeResult, Run, Status, User
from shared.experiments import create_experiment, progress, request_cancel, resolve_tuned
from shared.spec import ExperimentSpec, limit_violations

router = APIRouter(prefix="/experiments", tags=["experiments"])

ExperimentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="experiment id")]


def load_experiment(session: SessionDep, experiment_id: int) -> Experiment:
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"experiment {experiment_id} not found")
    return experiment


def _out(session: SessionDep, experiment: Experiment) -> ExperimentOut:
    stored, kept = stored_size(session, experiment.id)
    counts = dict(
        session.execute(
            select(Run.status, func.count())
            .where(Run.experiment_id == experiment.id)
            .group_by(Run.status)
        ).all()
    )
    return ExperimentOut(
        id=experiment.id,
        name=experiment.name,
        kind=experiment.kind,
        status=experiment.status,
        progress=progress(session, experiment.id),
        owner=experiment.owner.name,
        seed=experiment.seed,
        code_version=experiment.code_version,
        cancel_requested=experiment.cancel_requested,
        error=experiment.error,
        created_at=experiment.created_at,
        started_at=experiment.started_at,
        finished_at=experiment.finished_at,
        runs={str(k): v for k, v in counts.items()},
        spec=experiment.spec,
        stored_bytes=stored,
        kept_models=kept,
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=responses(*READ, 400, 413, 422, 429),
)
def submit(
    spec: Annotated[ExperimentSpec, Body(description="the experiment spec")],
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    dispatcher: DispatcherDep,
) -> Accepted:
    """Accept an experiment and queue its runs; 422 names any invalid field, 429 when
    the caller submitted more than the configured number in the last minute."""
    recent = session.scalar(
        select(func.count())
        .select_from(Experiment)
        .where(
            Experiment.owner_id == user.id, Experiment.created_at > utcnow() - timedelta(minutes=1)
        )
    )
    if recent is not None and recent >= settings.max_submissions_per_minute:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"more than {settings.max_submissions_per_minute} submissions in "
            "the last minute; retry shortly",
            headers={"Retry-After": "60"},
        )
    violations = limit_violations(spec, settings)
    spec, unresolved = resolve_tuned(session, spec)
    if violations or unresolved:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, violations + unresolved)
    experiment = create_experiment(session, user, spec)
    session.commit()  # the request's one commit; workers must see the rows
    dispatcher.send(experiment.runs, experiment.kind)
    return Accepted(
        id=experiment.id,
        status=experiment.status,
        runs=len(experiment.runs),
        url=str(request.url_for("get_experiment", experiment_id=experiment.id)),
    )


@router.get("", response_model=ExperimentPage, responses=responses(*READ, 422))
def list_experiments(
    session: SessionDep,
    user: Reader,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    kind: Literal["landscape", "training"] | None = None,
    owner: Annotated[str | None, Query(max_length=100, description="a user name, or `me`")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> ExperimentPage:
    """Newest first, filtered and paged."""
    query = select(Experiment)
    if status_ is not None:
        query = query.where(Experiment.status == status_)
    if kind is not None:
        query = query.where(Experiment.kind == kind)
    if owner is not None:
        if owner == "me" and user is not None:
            query = query.where(Experiment.owner_id == user.id)
        else:
            query = query.join(User, Experiment.owner_id == User.id).where(User.name == owner)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(Experiment.id.desc()).limit(limit).offset(offset))
    return ExperimentPage(
        items=[_out(session, e) for e in page], total=total, limit=limit, offset=offset
    )


@router.get(
    "/{experiment_id}",
    response_model=ExperimentOut,
    name="get_experiment",
    responses=responses(*READ, 404, 422),
)
def get_experiment(experiment_id: ExperimentId, session: SessionDep, user: Reader) -> ExperimentOut:
    return _out(session, load_experiment(session, experiment_id))


@router.get(
    "/{experiment_id}/runs", response_model=list[RunOut], responses=responses(*READ, 404, 422)
)
def list_runs(experiment_id: ExperimentId, session: SessionDep, user: Reader) -> list[RunOut]:
    return [RunOut.model_validate(r) for r in load_experiment(session, experiment_id).runs]


@router.post(
    "/{experiment_id}/cancel",
    response_model=ExperimentOut,
    responses=responses(*READ, 403, 404, 422),
)
def cancel(experiment_id: ExperimentId, session: SessionDep, user: CurrentUser) -> ExperimentOut:
    """Queued runs stop now, running ones at their next progress report."""
    experiment = load_experiment(session, experiment_id)
    if not may_modify(user, experiment.owner_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the owner or an admin may cancel")
    request_cancel(session, experiment)
    session.commit()
    return _out(session, experiment)


@router.delete(
    "/{experiment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*READ, 403, 404, 422),
)
def delete(
    experiment_id: ExperimentId, session: SessionDep, user: CurrentUser, store: ArtifactsDep
) -> Response:
    """Delete an experiment with its runs, results and files (checkpoints, kept models);
    503, deleting nothing, while the artifact store cannot be reached."""
    experiment = load_experiment(session, experiment_id)
    if not may_modify(user, experiment.owner_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the owner or an admin may delete")
    delete_experiment_files(store, experiment.id)
    session.delete(experiment)
    session.commit()
    delete_experiment_files(store, experiment_id)  # any file a worker wrote meanwhile
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _landscape(session: SessionDep, experiment_id: int) -> Experiment:
    experiment = load_experiment(session, experiment_id)
    if experiment.kind != "landscape":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"experiment {experiment_id} is a {experiment.kind} experiment",
        )
    return experiment


@router.get(
    "/{experiment_id}/distribution",
    response_model=Distribution,
    response_model_exclude_unset=True,
    responses=responses(*READ, 404, 409, 422),
)
def distribution(
    experiment_id: ExperimentId,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    capture_radius: Annotated[
        float | None, Query(gt=0, le=1e6, allow_inf_nan=False, description="default: the spec's")
    ] = None,
    confidence: Annotated[float, Query(gt=0, lt=1, allow_inf_nan=False)] = 0.95,
    test: Literal["g", "chi2"] = "g",
) -> dict[str, Any]:
    """Counts, fractions and confidence intervals per optimizer and minimum (plus
    ``else``), and every pair of optimizers tested (Holm-adjusted p as well)."""
    experiment = _landscape(session, experiment_id)
    key = experiment_key(experiment, "distribution", capture_radius, confidence, test)
    return cached(
        results,
        key,
        lambda: landscape_distribution(
            session, experiment, capture_radius=capture_radius, confidence=confidence, test=test
        ),
    )


@router.get(
    "/{experiment_id}/end-points",
    response_model=EndPoints,
    response_model_exclude_unset=True,
    responses=responses(*READ, 404, 409, 422),
)
def end_points(
    experiment_id: ExperimentId,
    session: SessionDep,
    user: Reader,
    function: Annotated[str, Query(max_length=64)],
    paths: bool = False,
) -> dict[str, Any]:
    """Each optimizer's end points on one function (and subsampled paths), for plots."""
    experiment = _landscape(session, experiment_id)
    rows = session.execute(
        select(Run.optimizer, LandscapeResult)
        .join(LandscapeResult, LandscapeResult.run_id == Run.id)
        .where(Run.experiment_id == experiment.id, Run.function == function)
    ).all()
    out: dict[str, Any] = {"function": function, "optimizers": {}}
    for optimizer, result in rows:
        entry = {"end_points": from_bytes(result.end_points, "f8", (result.restarts, 2)).tolist()}
        if paths:
            shape = (len(result.path_iterations), result.restarts, 2)
            entry["path_iterations"] = result.path_iterations
            entry["paths"] = from_bytes(result.path, "f4", shape).round(5).tolist()
        out["optimizers"][optimizer] = entry
    return out
