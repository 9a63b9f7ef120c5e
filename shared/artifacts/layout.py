"""Where each artifact lives in the store.

Everything of an experiment sits under ``experiments/<experiment>/``, so deleting an
experiment deletes one prefix. Below it, files are keyed by run and **attempt**: a run
redelivered to a second worker writes under its own attempt, so the first worker, if it
is still alive, can never overwrite the newer attempt's checkpoint (and its database
update is refused, since the run's attempt counter moved on)::

    experiments/12/runs/345/attempt-2/checkpoint-000001200.pt
    experiments/12/runs/345/attempt-2/models/step-000001200.safetensors
"""

from __future__ import annotations


def experiment_prefix(experiment_id: int) -> str:
    return f"experiments/{int(experiment_id)}/"


def attempt_prefix(experiment_id: int, run_id: int, attempt: int) -> str:
    return f"{experiment_prefix(experiment_id)}runs/{int(run_id)}/attempt-{int(attempt)}/"


def checkpoint_key(experiment_id: int, run_id: int, attempt: int, step: int) -> str:
    """The checkpoint a run's attempt wrote after ``step`` optimizer steps."""
    return f"{attempt_prefix(experiment_id, run_id, attempt)}checkpoint-{int(step):09d}.pt"


def model_key(experiment_id: int, run_id: int, attempt: int, step: int) -> str:
    """The kept weights (safetensors) of the model evaluated at ``step``."""
    return (
        f"{attempt_prefix(experiment_id, run_id, attempt)}models/step-{int(step):09d}.safetensors"
    )
