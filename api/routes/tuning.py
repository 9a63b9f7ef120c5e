"""Tuning studies: every trial and the per-optimizer budget table."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from api.deps import ExperimentDep, Reader, SessionDep
from api.schemas import READ, responses
from api.schemas.tuning import Tuning
from api.services.tuning import tuning_answer
from shared.tuning.study import study_of

router = APIRouter(prefix="/experiments", tags=["tuning"])


@router.get(
    "/{experiment_id}/tuning",
    response_model=Tuning,
    responses=responses(*READ, 404, 409, 422),
)
def tuning(experiment: ExperimentDep, session: SessionDep, user: Reader) -> dict[str, Any]:
    """The study of a tuning experiment, or the one a training spec with `tuning:` ran
    first: each trial (optimizer, state, hyperparameters, intermediate and final values
    on the validation split, gradient evaluations, worker, times) and, per optimizer,
    the budget granted and used, trials pruned and failed, and the best configuration."""
    study = study_of(session, experiment)
    if study is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"experiment {experiment.id} is a {experiment.kind} experiment without tuning",
        )
    return tuning_answer(session, study)
