"""End points and paths of a landscape experiment, a page of restarts at a time.

A run's arrays are stored as one blob each (end points ``(R, 2)`` float64, paths
``(K, R, 2)`` float32, snapshot-major). A page never loads a whole blob: the database
cuts out the bytes of the requested restarts (``substr``, on PostgreSQL and SQLite
alike), for the end points and for each of the ``path_points`` snapshots chosen evenly
among the stored ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db.models import LandscapeResult, Run

END_POINT_BYTES = 2 * 8  # x, y as float64
PATH_POINT_BYTES = 2 * 4  # x, y as float32


def snapshot_indices(stored: int, wanted: int) -> list[int]:
    """``wanted`` snapshots out of ``stored``, evenly spaced, first and last included."""
    if stored <= 0 or wanted <= 0:
        return []
    if wanted >= stored:
        return list(range(stored))
    return sorted({round(float(i)) for i in np.linspace(0, stored - 1, wanted)})


def _slice(column: Any, start_byte: int, length: int) -> Any:
    # SQL substr counts from 1, on bytea (PostgreSQL) and blobs (SQLite).
    return func.substr(column, start_byte + 1, length)


def end_points_page(
    session: Session,
    experiment_id: int,
    function: str,
    *,
    offset: int,
    limit: int,
    path_points: int | None,
) -> dict[str, Any]:
    """Restarts ``[offset, offset + limit)`` of every optimizer on ``function``; with
    ``path_points``, that many path snapshots of the same restarts."""
    metas = session.execute(
        select(Run.optimizer, LandscapeResult.id, LandscapeResult.restarts)
        .join(LandscapeResult, LandscapeResult.run_id == Run.id)
        .where(Run.experiment_id == experiment_id, Run.function == function)
        .order_by(Run.id)
    ).all()
    restarts = max((m.restarts for m in metas), default=0)
    out: dict[str, Any] = {
        "function": function,
        "restarts": restarts,
        "offset": offset,
        "limit": limit,
        "optimizers": {},
    }
    for optimizer, result_id, total in metas:
        count = max(0, min(limit, total - offset))
        first, size = offset * END_POINT_BYTES, count * END_POINT_BYTES
        points = session.scalar(
            select(_slice(LandscapeResult.end_points, first, size)).where(
                LandscapeResult.id == result_id
            )
        )
        entry: dict[str, Any] = {
            "end_points": np.frombuffer(points or b"", "<f8").reshape(-1, 2).tolist()
            if count
            else []
        }
        if path_points is not None:
            entry.update(_paths(session, result_id, total, offset, count, path_points))
        out["optimizers"][optimizer] = entry
    return out


def _paths(
    session: Session, result_id: int, total: int, offset: int, count: int, wanted: int
) -> dict[str, Any]:
    iterations = session.scalar(
        select(LandscapeResult.path_iterations).where(LandscapeResult.id == result_id)
    )
    chosen = snapshot_indices(len(iterations or []), wanted)
    if not chosen or not count:
        return {"path_iterations": [iterations[k] for k in chosen], "paths": [[] for _ in chosen]}
    slices = [
        _slice(
            LandscapeResult.path,
            (k * total + offset) * PATH_POINT_BYTES,
            count * PATH_POINT_BYTES,
        )
        for k in chosen
    ]
    row = session.execute(select(*slices).where(LandscapeResult.id == result_id)).one()
    paths = [np.frombuffer(blob, "<f4").reshape(-1, 2).round(5).tolist() for blob in row]
    return {"path_iterations": [iterations[k] for k in chosen], "paths": paths}
