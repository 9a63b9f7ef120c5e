"""A study's answer: trials with their intermediate values, and the budget table."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db.models import Experiment, ModelRecord, Run, TunedConfiguration, TuningTrial
from shared.spec import TuningSpec, parse_spec
from shared.tuning.admission import objective_of, spaces
from shared.tuning.objective import objective_metrics, objective_value
from shared.tuning.study import best_trials


def tuning_answer(session: Session, study: Experiment) -> dict[str, Any]:
    spec = parse_spec(study.spec, catalog=False)
    assert isinstance(spec, TuningSpec)
    tuning = spec.tuning
    objective = objective_of(spec.task, tuning)
    direction = objective_metrics(spec.task).get(objective, "higher")
    rows = session.execute(
        select(TuningTrial, Run)
        .join(Run, Run.id == TuningTrial.run_id)
        .where(TuningTrial.experiment_id == study.id)
        .order_by(TuningTrial.optimizer, TuningTrial.number)
    ).all()
    points: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for run_id, step, spent, metrics, loss in session.execute(
        select(
            ModelRecord.run_id,
            ModelRecord.step,
            ModelRecord.gradient_evaluations,
            ModelRecord.metrics,
            ModelRecord.test_loss,
        )
        .join(Run, Run.id == ModelRecord.run_id)
        .where(Run.experiment_id == study.id, ModelRecord.step > 0)
        .order_by(ModelRecord.run_id, ModelRecord.step)
    ):
        value = objective_value(metrics, loss, objective)
        points[run_id].append({"step": step, "gradient_evaluations": spent, "value": value})
    trials = []
    for trial, run in rows:
        intermediate = points.get(run.id, [])
        spent = (
            trial.gradient_evaluations
            if trial.settled
            else (intermediate[-1]["gradient_evaluations"] if intermediate else 0)
        )
        trials.append(
            {
                "optimizer": trial.optimizer,
                "number": trial.number,
                "run": run.id,
                "state": trial.state,
                "hyperparameters": trial.hyperparameters,
                "value": trial.value,
                "intermediate": intermediate,
                "gradient_evaluations": spent or 0,
                "worker": run.worker_instance,
                "attempts": run.attempts,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "error": trial.error,
            }
        )
    best = best_trials([t for t, _ in rows], direction)
    saved = {
        c.search.get("key"): c.name
        for c in session.scalars(
            select(TunedConfiguration).where(TunedConfiguration.owner_id == study.owner_id)
        )
        if isinstance(c.search, dict) and c.search.get("experiment") == study.id
    }
    unit = "trials" if tuning.trials is not None else "gradient_evaluations"
    granted = tuning.trials if tuning.trials is not None else tuning.gradient_evaluations
    budgets = []
    for o in spec.optimizers:
        mine = [t for t in trials if t["optimizer"] == o.key]
        count = {
            s: sum(1 for t in mine if t["state"] == s)
            for s in ("complete", "pruned", "failed", "queued", "running")
        }
        spent = sum(t["gradient_evaluations"] for t in mine)
        b = best.get(o.key)
        budgets.append(
            {
                "optimizer": o.key,
                "unit": unit,
                "granted": granted,
                "used": len(mine) if unit == "trials" else spent,
                "trials": len(mine),
                "complete": count["complete"],
                "pruned": count["pruned"],
                "failed": count["failed"],
                "running": count["queued"] + count["running"],
                "gradient_evaluations": spent,
                "best_value": b.value if b else None,
                "best_trial": b.trial if b else None,
                "best_hyperparameters": b.hyperparameters if b else None,
                "tuned_configuration": saved.get(o.key),
            }
        )
    found, _ = spaces(spec.optimizers, tuning)
    return {
        "experiment": study.id,
        "parent": study.parent_id,
        "status": study.status,
        "error": study.error,
        "objective": objective,
        "direction": direction,
        "budget": tuning.budget_text(),
        "equal_budgets": len({(r["unit"], r["granted"]) for r in budgets}) <= 1,
        "pruner": tuning.pruner,
        "validation_fraction": tuning.validation_fraction,
        "search_spaces": {k: v.as_dict() for k, v in found.items()},
        "budgets": budgets,
        "trials": trials,
    }
