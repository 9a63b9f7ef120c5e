"""Experiments as the API lists them: progress, runs by status, stored bytes, kept models
and study, for a whole page in a fixed number of queries (one per kind of fact, grouped
by experiment), whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.schemas import ExperimentOut
from shared.db.models import Experiment, KeptModel, Run
from shared.tuning.study import study_share, study_trial_rows


def experiment_summaries(
    session: Session, experiments: Sequence[Experiment]
) -> list[ExperimentOut]:
    """One :class:`ExperimentOut` per experiment, in order (owners come joined with the
    experiments; runs, kept models, studies and tuning trials in one query each)."""
    ids = [e.id for e in experiments]
    if not ids:
        return []
    runs: dict[int, dict[str, int]] = defaultdict(dict)
    done: dict[int, float] = defaultdict(float)  # finished runs count as 1
    checkpoints: dict[int, int] = defaultdict(int)
    for experiment_id, status, count, progress, size in session.execute(
        select(
            Run.experiment_id,
            Run.status,
            func.count(),
            func.coalesce(func.sum(Run.progress), 0.0),
            func.coalesce(func.sum(Run.checkpoint_size), 0),
        )
        .where(Run.experiment_id.in_(ids))
        .group_by(Run.experiment_id, Run.status)
    ):
        runs[experiment_id][str(status)] = count
        done[experiment_id] += count if status.terminal else float(progress)
        checkpoints[experiment_id] += int(size)
    kept = {
        experiment_id: (int(size), int(count))
        for experiment_id, size, count in session.execute(
            select(Run.experiment_id, func.coalesce(func.sum(KeptModel.size), 0), func.count())
            .join(Run, Run.id == KeptModel.run_id)
            .where(Run.experiment_id.in_(ids))
            .group_by(Run.experiment_id)
        )
    }
    studies = dict(
        session.execute(
            select(Experiment.parent_id, Experiment.id).where(Experiment.parent_id.in_(ids))
        ).all()
    )
    open_studies = [e.id for e in experiments if e.kind == "tuning" and not e.status.terminal]
    trials = study_trial_rows(session, open_studies)
    out = []
    for e in experiments:
        if e.kind == "tuning":
            progress = study_share(e, trials.get(e.id, []))
        else:
            total = sum(runs[e.id].values())
            progress = done[e.id] / total if total else 0.0
        models, count = kept.get(e.id, (0, 0))
        out.append(
            ExperimentOut(
                id=e.id,
                name=e.name,
                kind=e.kind,
                status=e.status,
                progress=progress,
                owner=e.owner.name,
                seed=e.seed,
                code_version=e.code_version,
                cancel_requested=e.cancel_requested,
                error=e.error,
                created_at=e.created_at,
                started_at=e.started_at,
                finished_at=e.finished_at,
                runs=runs[e.id],
                spec=e.spec,
                stored_bytes=models + checkpoints[e.id],
                kept_models=count,
                parent_id=e.parent_id,
                study_id=studies.get(e.id) if e.kind == "training" else None,
            )
        )
    return out
