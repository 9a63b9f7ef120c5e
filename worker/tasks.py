"""Celery tasks: IDs in, the work done by functions that know nothing about Celery."""

from __future__ import annotations

from shared.config import get_settings
from worker.app import app
from worker.jobs import run_landscape


@app.task(name="optbench.run_landscape", acks_late=True)
def run_landscape_task(run_id: int) -> str:
    return run_landscape(get_settings().database_url, run_id)


@app.task(name="optbench.run_training", acks_late=True)
def run_training_task(run_id: int) -> str:
    from worker.training import run_training  # torch and the tasks load only here

    return run_training(get_settings().database_url, run_id)
