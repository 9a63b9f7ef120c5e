"""What the platform offers: optimizers, functions, tasks, and the spec's JSON schema."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select

from api.deps import Reader, SessionDep, SettingsDep
from api.schemas import (
    READ,
    FunctionInfo,
    Grid,
    OptimizerInfo,
    SpecSchema,
    TaskInfo,
    TunedOut,
    responses,
)
from api.schemas.limits import apply_server_limits
from shared.db.models import TunedConfiguration
from shared.landscapes.functions import LANDSCAPES, landscape
from shared.optim.declarations import catalog
from shared.spec import spec_json_schema
from shared.tasks.catalog import catalog as task_catalog

router = APIRouter(tags=["catalog"])


@router.get("/optimizers", response_model=list[OptimizerInfo], responses=responses(*READ))
def optimizers(user: Reader) -> list[dict[str, Any]]:
    """Every optimizer with its hyperparameters: type, default, range, description."""
    return catalog()


@router.get("/functions", response_model=list[FunctionInfo], responses=responses(*READ))
def functions(user: Reader) -> list[dict[str, Any]]:
    """Synthetic functions with domain and minima (location, value, Hessian eigenvalues)."""
    return [
        {
            "name": f.name,
            "title": f.title,
            "domain": [list(d) for d in f.domain],
            "recommended": dict(f.recommended),
            "reference": f.reference,
            "minima": [m.as_dict() for m in f.minima],
        }
        for f in LANDSCAPES.values()
    ]


@router.get("/functions/{name}/grid", response_model=Grid, responses=responses(*READ, 404, 422))
def function_grid(
    name: Annotated[str, Path(max_length=64)],
    user: Reader,
    size: Annotated[int, Query(ge=10, le=400)] = 100,
) -> dict[str, Any]:
    """f on a size × size grid over the domain, for contour plots."""
    import numpy as np

    try:
        f = landscape(name)
    except KeyError as error:
        raise HTTPException(404, str(error)) from None
    (x0, x1), (y0, y1) = f.domain
    xs, ys = np.linspace(x0, x1, size), np.linspace(y0, y1, size)
    grid_x, grid_y = np.meshgrid(xs, ys)
    values = f.value(np.stack((grid_x.ravel(), grid_y.ravel()))).reshape(grid_x.shape)
    return {
        "function": f.name,
        "x": xs.round(6).tolist(),
        "y": ys.round(6).tolist(),
        "z": values.round(6).tolist(),
    }


@router.get("/tasks", response_model=list[TaskInfo], responses=responses(*READ))
def tasks(user: Reader) -> list[TaskInfo]:
    """Training tasks: where each comes from (built in, or a plugin's package and
    version), its metrics with their direction, the dataset directory and format it
    expects under the data root, and its typed options (type, default, range, choices).
    Installed plugins that cannot be used are listed with ``available: false`` and the
    reason."""
    return task_catalog()


@router.get("/spec-schema", response_model=SpecSchema, responses=responses(*READ))
def spec_schema(settings: SettingsDep) -> dict[str, Any]:
    """The JSON schema every experiment spec is validated against, with this server's
    limits as its maxima."""
    schema = spec_json_schema()
    apply_server_limits(schema["$defs"], settings)
    return schema


@router.get("/tuned", response_model=list[TunedOut], responses=responses(*READ, 422))
def tuned(
    session: SessionDep, user: Reader, task: Annotated[str | None, Query(max_length=64)] = None
) -> list[dict[str, Any]]:
    """Stored tuned configurations (``optbench tune``); reference one as ``tuned: NAME``."""
    query = select(TunedConfiguration).order_by(TunedConfiguration.id)
    if task is not None:
        query = query.where(TunedConfiguration.task == task)
    return [
        {
            "name": t.name,
            "task": t.task,
            "optimizer": t.optimizer,
            "hyperparameters": t.hyperparameters,
            "metric": t.metric,
            "value": t.value,
            "owner": t.owner.name,
            "created_at": t.created_at.isoformat(),
            "trials": len(t.search.get("trials", [])),
        }
        for t in session.scalars(query)
    ]
