"""A training run's artifacts as its worker writes them: the latest checkpoint and the
kept models, in the artifact store, with their rows.

At each evaluation point the worker (1) offers the evaluated model (written only if the
spec's ``keep_models`` keeps it), (2) writes the checkpoint, (3) in its one transaction,
points the run at the new checkpoint and adds/removes kept-model rows — refused if
another attempt of the run has started since (the attempt counter moved) — and (4) after
the commit deletes the files nothing points at any more. Files are written before the
rows that point at them, and deleted after, so a crash at any moment leaves rows that
point at whole files, at worst with an orphan file under the attempt's prefix (removed
with the experiment).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from torch import nn

from shared.artifacts.keeping import KeepModels, RecordScore, steps_to_keep
from shared.artifacts.layout import checkpoint_key, model_key
from shared.artifacts.store import (
    ArtifactChecksumMismatch,
    ArtifactStore,
    ArtifactStoreUnavailable,
    StoredArtifact,
)
from shared.artifacts.weights import save_weights
from shared.db.models import KeptModel, ModelRecord, Run
from shared.db.retry import with_retries
from shared.db.session import Sessions
from shared.tasks.metrics import Metric

log = logging.getLogger(__name__)


class AttemptSuperseded(Exception):
    """Another attempt of this run started (the run was redelivered): this one stops and
    writes nothing more."""


def append_log(run: Run, note: str) -> None:
    """Add one line to the run's log (what happened that was not a failure)."""
    run.log = f"{run.log}\n{note}" if run.log else note


@dataclass
class TrajectoryArtifacts:
    """The artifacts of one attempt of one training run (see the module docstring)."""

    sessions: Sessions
    store: ArtifactStore
    experiment_id: int
    run_id: int
    attempt: int
    keep_models: KeepModels
    population_size: int
    #: The task's metric Set B ranks by (its name and direction).
    metric: Metric
    #: Rebuild information stored in every kept model's metadata (task, options, labels).
    model_info: Mapping[str, Any] = field(default_factory=dict)
    _new_models: list[tuple[int, StoredArtifact]] = field(default_factory=list, init=False)
    _evicted: list[tuple[int, str]] = field(default_factory=list, init=False)
    _checkpoint: StoredArtifact | None = field(default=None, init=False)
    _stale: list[str] = field(default_factory=list, init=False)

    # -- resuming --------------------------------------------------------------------

    def restore(self) -> bytes | None:
        """The verified bytes of the run's checkpoint, or None to start from the beginning.

        A checkpoint that is missing or fails its checksum is forgotten (so a crash later
        cannot meet it again), noted in the run's log, and the trajectory restarts from
        step 0 (its records are unique by step, so none is stored twice). An unreachable
        store raises :class:`ArtifactStoreUnavailable` after the store's retries.
        """

        def pointer() -> StoredArtifact | None:
            with self.sessions() as session:
                run = session.get(Run, self.run_id)
                if run is None or run.checkpoint_key is None:
                    return None
                return StoredArtifact(
                    run.checkpoint_key, run.checkpoint_sha256 or "", run.checkpoint_size or 0
                )

        artifact = with_retries(pointer, what=f"run {self.run_id} checkpoint")
        if artifact is None:
            return None
        try:
            return self.store.read_verified(artifact)
        except FileNotFoundError:
            problem = "is missing from the artifact store"
        except ArtifactChecksumMismatch as error:
            problem = f"failed its checksum ({error})"
        self.forget_checkpoint(f"checkpoint {artifact.key} {problem}")
        return None

    def forget_checkpoint(self, why: str) -> None:
        """Drop the run's checkpoint pointer, noting ``why`` and the restart in its log."""

        def forget() -> str | None:
            with self.sessions() as session:
                run = session.get(Run, self.run_id)
                if run is None:
                    return None
                key = run.checkpoint_key
                run.checkpoint_key = run.checkpoint_sha256 = run.checkpoint_size = None
                append_log(run, f"attempt {self.attempt}: {why}; restarted from the beginning")
                session.commit()
                return key

        key = with_retries(forget, what=f"run {self.run_id} checkpoint")
        log.warning("run %s: %s; restarting from the beginning", self.run_id, why)
        if key is not None:
            self._delete_quietly([key])

    # -- writing, before the transaction ---------------------------------------------

    def offer_model(self, record: Any, model: nn.Module) -> None:
        """Keep ``model``'s weights if the policy wants this record (and no attempt kept
        it already); note which kept models it displaces."""
        if self.keep_models == "none":
            return

        def read() -> tuple[list[Any], dict[int, str]]:
            with self.sessions() as session:
                rows = session.execute(
                    select(
                        ModelRecord.step,
                        ModelRecord.train_loss,
                        ModelRecord.metrics,
                        ModelRecord.diverged,
                    ).where(ModelRecord.run_id == self.run_id, ModelRecord.step != record.step)
                ).all()
                kept = session.execute(
                    select(KeptModel.step, KeptModel.key).where(KeptModel.run_id == self.run_id)
                ).all()
                return list(rows), dict(kept)  # type: ignore[arg-type]

        # A database restart mid-trajectory costs a retry, not the run.
        rows, kept = with_retries(read, what=f"run {self.run_id} kept models")
        name = self.metric.name
        scores = [
            RecordScore(step, loss, (metrics or {}).get(name), diverged)
            for step, loss, metrics, diverged in rows
        ]
        scores.append(RecordScore(record.step, record.train_loss, record.metrics.get(name), False))
        keep = steps_to_keep(scores, self.keep_models, self.population_size, self.metric.direction)
        self._evicted = [(step, key) for step, key in kept.items() if step not in keep]
        if record.step in keep and record.step not in kept:
            key = model_key(self.experiment_id, self.run_id, self.attempt, record.step)
            info = {**self.model_info, "step": record.step, "train_loss": record.train_loss}
            with tempfile.TemporaryDirectory(prefix="optbench-model-") as directory:
                path = Path(directory) / "model.safetensors"
                save_weights(model, path, info)
                self._new_models.append((record.step, self.store.put_file(key, path)))

    def write_checkpoint(self, step: int, data: bytes) -> None:
        key = checkpoint_key(self.experiment_id, self.run_id, self.attempt, step)
        self._checkpoint = self.store.put_bytes(key, data)

    # -- inside the worker's transaction ---------------------------------------------

    def apply(self, session: Session, run: Run) -> None:
        """Point ``run`` at the new checkpoint and update its kept models (the caller
        commits); :class:`AttemptSuperseded` if a newer attempt owns the run."""
        if run.attempts != self.attempt:
            raise AttemptSuperseded(
                f"run {self.run_id}: attempt {run.attempts} started after this one ({self.attempt})"
            )
        if self._checkpoint is not None:
            if run.checkpoint_key and run.checkpoint_key != self._checkpoint.key:
                self._stale.append(run.checkpoint_key)
            run.checkpoint_key = self._checkpoint.key
            run.checkpoint_sha256 = self._checkpoint.sha256
            run.checkpoint_size = self._checkpoint.size
        existing = set(
            session.scalars(select(KeptModel.step).where(KeptModel.run_id == self.run_id))
        )
        for step, stored in self._new_models:
            if step not in existing:
                session.add(
                    KeptModel(
                        run_id=self.run_id,
                        step=step,
                        key=stored.key,
                        sha256=stored.sha256,
                        size=stored.size,
                    )
                )
        if self._evicted:
            session.execute(
                delete(KeptModel).where(
                    KeptModel.run_id == self.run_id,
                    KeptModel.step.in_([step for step, _ in self._evicted]),
                )
            )
            self._stale += [key for _, key in self._evicted]

    # -- after the transaction -------------------------------------------------------

    def committed(self) -> None:
        """The transaction went through: delete the files nothing points at any more."""
        stale, self._stale = self._stale, []
        self._new_models, self._evicted, self._checkpoint = [], [], None
        self._delete_quietly(stale)

    def discard(self) -> None:
        """The transaction was refused or failed: delete what this point wrote."""
        written = [stored.key for _, stored in self._new_models]
        if self._checkpoint is not None:
            written.append(self._checkpoint.key)
        self._new_models, self._evicted, self._checkpoint, self._stale = [], [], None, []
        self._delete_quietly(written)

    def release_checkpoint(self, keep: bool) -> None:
        """The run finished: remove its checkpoint (file and pointer) unless ``keep``."""
        if keep:
            return

        def release() -> str | None:
            with self.sessions() as session:
                run = session.get(Run, self.run_id)
                if run is None or run.attempts != self.attempt or run.checkpoint_key is None:
                    return None
                key = run.checkpoint_key
                run.checkpoint_key = run.checkpoint_sha256 = run.checkpoint_size = None
                session.commit()
                return key

        key = with_retries(release, what=f"run {self.run_id} checkpoint")
        if key is not None:
            self._delete_quietly([key])

    def _delete_quietly(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self.store.delete(key)
            except ArtifactStoreUnavailable:
                # An orphan file under the experiment's prefix; deleting it retries then.
                log.warning("run %s: could not delete %s", self.run_id, key, exc_info=True)
