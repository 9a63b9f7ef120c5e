"""Experiments: submit, list, inspect, cancel, delete, and their landscape results."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response, status
from sqlalchemy import func, select

from api.deps import (
    ArtifactsDep,
    CurrentUser,
    DispatcherDep,
    ExperimentDep,
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
from api.services.end_points import end_points_page
from api.services.models import delete_experiment_files
from api.services.summaries import experiment_summaries
from shared.admission import admit
from shared.db.models import Experiment, Role, Status, User
from shared.experiments import (
    active_runs_asked,
    create_experiment,
    request_cancel,
)
from shared.failures import one_line
from shared.quotas import QuotaExceeded, check_active_runs, check_submission_rate, hold_user
from shared.spec import ExperimentSpec, parse_spec
from shared.tuning.study import new_runs, study_of

router = APIRouter(prefix="/experiments", tags=["experiments"])
log = logging.getLogger(__name__)

#: Paging of end points: restarts a page, snapshots a path, and their product.
MAX_RESTARTS_PAGE, MAX_PATH_POINTS, MAX_PATH_VALUES = 5000, 200, 200_000


def _out(session: SessionDep, experiment: Experiment) -> ExperimentOut:
    return experiment_summaries(session, [experiment])[0]


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
    the caller submitted more than the configured number in the last minute or would
    have more than the configured number of runs queued or running (the detail names
    the limit)."""
    try:
        hold_user(session, user.id)  # until the commit: concurrent submissions queue up
        check_submission_rate(session, user.id, settings.max_submissions_per_minute)
        spec = admit(session, spec, settings)  # or a 422 naming every problem (api.problems)
        check_active_runs(
            session, user.id, active_runs_asked(spec), settings.max_active_runs_per_user
        )
    except QuotaExceeded as exceeded:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            str(exceeded),
            headers={"Retry-After": str(exceeded.retry_after)},
        ) from None
    experiment = create_experiment(session, user, spec)
    trials = new_runs(session)  # a study's first trials
    session.commit()  # the request's one commit; workers must see the rows
    dispatcher.fill()  # its runs wait in the database for their turn in the broker's window
    return Accepted(
        id=experiment.id,
        status=experiment.status,
        runs=len(experiment.runs) + len(trials),
        url=str(request.url_for("get_experiment", experiment_id=experiment.id)),
    )


@router.get("", response_model=ExperimentPage, responses=responses(*READ, 422))
def list_experiments(
    session: SessionDep,
    user: Reader,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    kind: Literal["landscape", "training", "tuning"] | None = None,
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
        items=experiment_summaries(session, list(page)), total=total, limit=limit, offset=offset
    )


@router.get(
    "/{experiment_id}",
    response_model=ExperimentOut,
    name="get_experiment",
    responses=responses(*READ, 404, 422),
)
def get_experiment(experiment: ExperimentDep, session: SessionDep, user: Reader) -> ExperimentOut:
    return _out(session, experiment)


@router.get(
    "/{experiment_id}/runs", response_model=list[RunOut], responses=responses(*READ, 404, 422)
)
def list_runs(experiment: ExperimentDep, user: Reader) -> list[RunOut]:
    """Every run: a failure's cause in one line; its traceback for admins only."""
    admin = user is not None and user.role == Role.admin
    runs = []
    for run in experiment.runs:
        out = RunOut.model_validate(run)
        out.error = one_line(run.error) if run.error else None
        out.traceback = run.traceback if admin else None
        runs.append(out)
    return runs


@router.post(
    "/{experiment_id}/cancel",
    response_model=ExperimentOut,
    responses=responses(*READ, 403, 404, 422),
)
def cancel(
    experiment: ExperimentDep, session: SessionDep, user: CurrentUser, dispatcher: DispatcherDep
) -> ExperimentOut:
    """Queued runs stop now (those not sent yet never reach a worker), running ones at
    their next progress report."""
    if not may_modify(user, experiment.owner_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the owner or an admin may cancel")
    request_cancel(session, experiment)
    session.commit()
    dispatcher.fill()  # its sent runs left the window: other runs take their places
    return _out(session, experiment)


@router.delete(
    "/{experiment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*READ, 403, 404, 409, 422),
)
def delete(
    experiment: ExperimentDep,
    session: SessionDep,
    user: CurrentUser,
    store: ArtifactsDep,
    settings: SettingsDep,
    dispatcher: DispatcherDep,
) -> Response:
    """Delete an experiment with its runs, results and files (checkpoints, kept models);
    503, deleting nothing, while the artifact store cannot be reached."""
    experiment_id = experiment.id
    if not may_modify(user, experiment.owner_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the owner or an admin may delete")
    if experiment.parent_id is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"experiment {experiment_id} is the tuning study of experiment "
            f"{experiment.parent_id}; delete that one (it takes its study with it)",
        )
    study = study_of(session, experiment)
    if study is not None and study.id != experiment.id:
        delete_experiment_files(store, study.id)
    delete_experiment_files(store, experiment.id)
    studies = None
    if study is not None:  # its Optuna studies are named by id, creation time and key
        keys = [o.key for o in parse_spec(study.spec, catalog=False).optimizers]
        studies = (study.id, study.created_at, keys)
    session.delete(experiment)
    session.commit()
    dispatcher.fill()
    if studies is not None:
        forget_studies(settings.database_url, *studies)
    delete_experiment_files(store, experiment_id)  # any file a worker wrote meanwhile
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def forget_studies(database_url: str, experiment_id: int, created: Any, keys: list[str]) -> None:
    """Optuna's side of a deleted study; the experiment is gone either way, so a failure
    here is logged, not answered."""
    from shared.tuning.storage import delete_studies

    try:
        delete_studies(database_url, experiment_id, created, keys)
    except Exception:
        log.exception("the Optuna studies of deleted experiment %s were not dropped", experiment_id)


def landscape_experiment(experiment: ExperimentDep) -> Experiment:
    """The path's experiment, which must be a landscape experiment (409 otherwise)."""
    if experiment.kind != "landscape":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"experiment {experiment.id} is a {experiment.kind} experiment",
        )
    return experiment


LandscapeDep = Annotated[Experiment, Depends(landscape_experiment)]


@router.get(
    "/{experiment_id}/distribution",
    response_model=Distribution,
    response_model_exclude_unset=True,
    responses=responses(*READ, 404, 409, 422),
)
def distribution(
    experiment: LandscapeDep,
    session: SessionDep,
    user: Reader,
    results: ResultsDep,
    capture_radius: Annotated[
        float | None, Query(gt=0, le=1e6, allow_inf_nan=False, description="default: the spec's")
    ] = None,
    confidence: Annotated[float, Query(gt=0, lt=1, allow_inf_nan=False)] = 0.95,
    test: Literal["g", "chi2"] = "g",
    assignment: Annotated[
        Literal["basin", "radius"],
        Query(
            description="basin: the minimum whose basin of attraction holds each end point "
            "(a short polish; `else` only for diverged or non-converging points); radius: "
            "the nearest minimum within the capture radius, else `else`"
        ),
    ] = "basin",
) -> dict[str, Any]:
    """Counts, fractions and confidence intervals per optimizer and minimum (plus
    ``else``), how many end points settled within the capture radius, every pair of
    optimizers tested unpaired (G-test or χ²) and paired (Bowker, exact when cells are
    small) with the agreement rate, Holm-adjusted, and each sweep's series."""
    key = experiment_key(experiment, "distribution", capture_radius, confidence, test, assignment)
    return cached(
        results,
        key,
        lambda: landscape_distribution(
            session,
            experiment,
            capture_radius=capture_radius,
            confidence=confidence,
            test=test,
            assignment=assignment,
            cache=results,
        ),
    )


@router.get(
    "/{experiment_id}/end-points",
    response_model=EndPoints,
    response_model_exclude_unset=True,
    responses=responses(*READ, 404, 409, 422),
)
def end_points(
    experiment: LandscapeDep,
    session: SessionDep,
    user: Reader,
    function: Annotated[str, Query(max_length=64)],
    paths: bool = False,
    offset: Annotated[int, Query(ge=0, le=10**7, description="the first restart")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_RESTARTS_PAGE, description="restarts")] = 1000,
    path_points: Annotated[
        int, Query(ge=1, le=MAX_PATH_POINTS, description="snapshots per path (paths=true)")
    ] = 20,
) -> dict[str, Any]:
    """Each optimizer's end points on one function (and paths downsampled to
    ``path_points`` snapshots), a page of restarts at a time, for plots."""
    if paths and limit * path_points > MAX_PATH_VALUES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["query", "limit"],
                    "type": "value_error",
                    "msg": f"limit × path_points is {limit * path_points}, over the limit "
                    f"of {MAX_PATH_VALUES} path points a page; lower limit or path_points",
                }
            ],
        )
    return end_points_page(
        session,
        experiment.id,
        function,
        offset=offset,
        limit=limit,
        path_points=path_points if paths else None,
    )
