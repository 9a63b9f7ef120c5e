"""Kept models: list an experiment's kept weights and download one as safetensors.

A download streams the file from the artifact store in chunks (never whole in memory).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from api.deps import ArtifactsDep, ExperimentDep, Reader, SessionDep
from api.schemas import READ, responses
from api.schemas.models import KeptModelOut, KeptModelPage
from api.services.models import find_kept_model, kept_models_query, stored_size

router = APIRouter(prefix="/experiments", tags=["models"])

Optimizer = Annotated[str, Path(max_length=64, description="the configuration's key")]
Trajectory = Annotated[int, Path(ge=0, le=10**6)]
Step = Annotated[int, Path(ge=0, le=2**62)]


@router.get(
    "/{experiment_id}/models", response_model=KeptModelPage, responses=responses(*READ, 404, 422)
)
def list_models(
    experiment: ExperimentDep,
    request: Request,
    session: SessionDep,
    user: Reader,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> KeptModelPage:
    """The models whose weights the experiment kept, with their records' losses and
    metrics and a download URL each."""
    query = kept_models_query(experiment.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.limit(limit).offset(offset)).all()
    items = [
        KeptModelOut(
            **{**row._asdict(), "metrics": row.metrics or {}},
            url=str(
                request.url_for(
                    "download_model",
                    experiment_id=experiment.id,
                    optimizer=row.optimizer,
                    trajectory=row.trajectory,
                    step=row.step,
                )
            ),
        )
        for row in rows
    ]
    stored, _ = stored_size(session, experiment.id)
    return KeptModelPage(items=items, total=total, limit=limit, offset=offset, stored_bytes=stored)


@router.get(
    "/{experiment_id}/models/{optimizer}/{trajectory}/{step}",
    name="download_model",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "the model's state_dict as a safetensors file",
        },
        **responses(*READ, 404, 422),
    },
)
def download_model(
    experiment: ExperimentDep,
    optimizer: Optimizer,
    trajectory: Trajectory,
    step: Step,
    session: SessionDep,
    store: ArtifactsDep,
    user: Reader,
) -> StreamingResponse:
    """The weights of one kept model (safetensors: the state_dict, with the task, its
    options and the number of labels in the metadata). 404 names what is missing; 503
    when the artifact store cannot be reached."""
    kept = find_kept_model(session, experiment, optimizer, trajectory, step)
    try:
        file = store.open(kept.key)
    except FileNotFoundError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"the file of the model at step {step} of {optimizer}/{trajectory} is missing "
            "from the artifact store",
        ) from None
    name = f"experiment-{experiment.id}-{optimizer}-{trajectory}-step-{step}.safetensors"
    return StreamingResponse(
        store.iter_chunks(file),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(kept.size),
            "ETag": f'"{kept.sha256}"',
            "X-Checksum-SHA256": kept.sha256,
        },
    )
