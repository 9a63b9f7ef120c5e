"""Kept models of an experiment: listing them, and finding one to stream.

The files are read through the artifact store as bytes; nothing here loads torch.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.artifacts import ArtifactStore, experiment_prefix
from shared.db.models import Experiment, KeptModel, ModelRecord, Run

MODEL_COLUMNS = (
    Run.optimizer,
    Run.trajectory,
    KeptModel.step,
    ModelRecord.epoch,
    ModelRecord.gradient_evaluations,
    ModelRecord.train_loss,
    ModelRecord.test_loss,
    ModelRecord.metrics,
    KeptModel.size,
    KeptModel.sha256,
)


def kept_models_query(experiment_id: int):  # type: ignore[no-untyped-def]
    """The experiment's kept models joined with their records, ordered for paging."""
    return (
        select(*MODEL_COLUMNS)
        .join(Run, Run.id == KeptModel.run_id)
        .join(
            ModelRecord,
            (ModelRecord.run_id == KeptModel.run_id) & (ModelRecord.step == KeptModel.step),
        )
        .where(Run.experiment_id == experiment_id)
        .order_by(Run.optimizer, Run.trajectory, KeptModel.step)
    )


def stored_size(session: Session, experiment_id: int) -> tuple[int, int]:
    """(bytes the experiment's files take in the store, number of kept models)."""
    models, count = session.execute(
        select(func.coalesce(func.sum(KeptModel.size), 0), func.count(KeptModel.id))
        .join(Run, Run.id == KeptModel.run_id)
        .where(Run.experiment_id == experiment_id)
    ).one()
    checkpoints = session.scalar(
        select(func.coalesce(func.sum(Run.checkpoint_size), 0)).where(
            Run.experiment_id == experiment_id
        )
    )
    return int(models) + int(checkpoints or 0), int(count)


def find_kept_model(
    session: Session, experiment: Experiment, optimizer: str, trajectory: int, step: int
) -> KeptModel:
    """The kept model at ``step`` of trajectory ``optimizer/trajectory``; 404 saying
    which part is missing (the trajectory, the evaluated model, or its weights)."""
    where = f"trajectory {optimizer}/{trajectory} of experiment {experiment.id}"
    run_id = session.scalar(
        select(Run.id).where(
            Run.experiment_id == experiment.id,
            Run.optimizer == optimizer,
            Run.trajectory == trajectory,
        )
    )
    if experiment.kind != "training" or run_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no {where}")
    kept = session.scalar(
        select(KeptModel).where(KeptModel.run_id == run_id, KeptModel.step == step)
    )
    if kept is not None:
        return kept
    evaluated = session.scalar(
        select(ModelRecord.id).where(ModelRecord.run_id == run_id, ModelRecord.step == step)
    )
    if evaluated is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"{where} has no evaluated model at step {step}"
        )
    policy = experiment.spec.get("keep_models", "population")
    why = {
        "none": "the spec keeps no weights (keep_models: none)",
        "population": "keep_models: population keeps only the models of Set A and Set B at "
        f"the spec's L = {experiment.spec.get('population_size')}",
        "all": "it was not kept",
    }.get(policy, "it was not kept")
    raise HTTPException(
        status.HTTP_404_NOT_FOUND,
        f"the weights of the model at step {step} of {where} were not kept: {why}",
    )


def delete_experiment_files(store: ArtifactStore, experiment_id: int) -> None:
    """Remove every checkpoint and kept model of the experiment (raises
    ``ArtifactStoreUnavailable`` when the store cannot be reached, before any row goes)."""
    store.delete_prefix(experiment_prefix(experiment_id))
