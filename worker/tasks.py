"""Celery tasks: IDs in, the work done by functions that know nothing about Celery."""

from __future__ import annotations

from worker.app import app
from worker.jobs import run_landscape


@app.task(name="optbench.run_landscape", acks_late=True)
def run_landscape_task(run_id: int) -> str:
    from shared.config import get_settings

    return run_landscape(get_settings().database_url, run_id)
