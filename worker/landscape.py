"""The landscape job: one optimizer on one function, all restarts through the batched
engine (its lifecycle: worker/lifecycle.py)."""

from __future__ import annotations

import logging
import time
import traceback

from shared.config import get_settings
from shared.db.arrays import to_bytes
from shared.db.models import LandscapeResult, Status
from shared.db.session import Sessions
from shared.deadline import run_time_limit
from shared.landscapes.study import stationary_distribution
from shared.spec import LandscapeSpec, parse_spec
from worker.lifecycle import (
    RunCancelled,
    claim_run,
    finish_run,
    heartbeat,
    progress_reporter,
    worker_optimizer,
)

log = logging.getLogger(__name__)


def run_landscape(sessions: Sessions, run_id: int) -> str:
    """One optimizer on one function: all restarts through the batched engine."""
    started = claim_run(sessions, run_id)
    if isinstance(started, str):
        return started
    run, experiment = started
    spec = parse_spec(experiment.spec, catalog=False)
    assert isinstance(spec, LandscapeSpec) and run.function is not None
    optimizer = next(o for o in spec.optimizers if o.key == run.optimizer)
    began = time.perf_counter()
    try:
        worker_optimizer(sessions, run, optimizer.optimizer)
        with heartbeat(sessions, run_id), run_time_limit(get_settings().run_time_limit):
            outcome = stationary_distribution(
                run.function,
                optimizer.optimizer,
                restarts=spec.restarts,
                iterations=spec.iterations,
                overrides={optimizer.optimizer: optimizer.hyperparameters},
                capture_radius=spec.capture_radius,
                seed=spec.seed,
                path_points=spec.path_points,
                on_progress=progress_reporter(sessions, run_id, experiment.id),
            )
    except RunCancelled:
        finish_run(sessions, run_id, Status.cancelled, attempt=run.attempts)
        return "cancelled"
    except Exception:  # one line on the run for everyone; the traceback for admins
        log.exception("run %s failed", run_id)
        finish_run(sessions, run_id, Status.failed, traceback.format_exc(), attempt=run.attempts)
        return "failed"
    c = outcome.run.counters
    result = LandscapeResult(
        restarts=spec.restarts,
        iterations=spec.iterations,
        hyperparameters=outcome.hyperparameters,
        end_points=to_bytes(outcome.run.end_points, "f8"),
        last_iterates=to_bytes(outcome.run.last_iterates, "f8"),
        path=to_bytes(outcome.run.path, "f4"),
        path_iterations=[int(i) for i in outcome.run.path_iterations],
        gradient_evaluations=float(c.gradient_evaluations.mean()),
        loss_evaluations=float(c.loss_evaluations.mean()),
        seconds=time.perf_counter() - began,
    )
    if not finish_run(sessions, run_id, Status.succeeded, result=result, attempt=run.attempts):
        return "superseded"
    return "succeeded"
