"""A training experiment's trajectories as MLflow runs (``pip install
'optbench-client[mlflow]'``), beside a lab's other runs.

Each trajectory (one optimizer configuration, one trajectory index) becomes one MLflow run
in the MLflow experiment ``optbench <id> <name>`` (or one you name):

* params: the optimizer's hyperparameters (its defaults, with the spec's overrides), and
  ``optimizer``, the optimizer as registered;
* metrics, indexed by the record's step: ``train_loss``, ``test_loss``, ``running_loss``,
  ``epoch``, ``gradient_evaluations``, ``wall_time``, ``sharpness`` where measured, and
  each of the task's metrics under its own name (``accuracy``, ``perplexity``…);
* tags: where it comes from (``optbench.server``, ``optbench.experiment``,
  ``optbench.optimizer``, ``optbench.trajectory``, ``optbench.task``), and Set A / Set B
  membership at the spec's L: ``optbench.set_a`` and ``optbench.set_b`` (``true`` when
  any of the trajectory's models is in the set) with the members' steps in
  ``optbench.set_a_steps`` and ``optbench.set_b_steps``;
* with ``models=True``, the trajectory's kept models as artifacts under ``models/``.

A run is marked FINISHED only once all of it is logged. Exporting again skips the
trajectories already exported, and replaces a run that an interrupted export left
unfinished, so nothing is ever there twice.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from optbench_client.errors import OptbenchError

#: Record fields logged as step-indexed metrics (beside the task's own metrics).
RECORD_METRICS = (
    "train_loss",
    "test_loss",
    "running_loss",
    "epoch",
    "gradient_evaluations",
    "loss_evaluations",
    "wall_time",
    "sharpness",
)
TAG = "optbench."
#: MLflow's limits per log_batch call.
BATCH_METRICS, BATCH_PARAMS = 1000, 100


class ExportError(OptbenchError):
    """The export cannot be done (the experiment, or the tracking server); one line."""


@dataclass
class ExportSummary:
    mlflow_experiment: str
    mlflow_experiment_id: str
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{len(self.created)} run(s) logged"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} already exported")
        if self.replaced:
            parts.append(f"{len(self.replaced)} unfinished run(s) of an earlier export replaced")
        return f"MLflow experiment {self.mlflow_experiment!r}: " + ", ".join(parts)


def export_to_mlflow(
    client: Any,
    experiment_id: int,
    tracking_uri: str,
    *,
    models: bool = False,
    mlflow_experiment: str | None = None,
) -> ExportSummary:
    """Log every trajectory of a finished training experiment as an MLflow run (see the
    module's description); returns what was logged and what was already there."""
    try:
        from mlflow import MlflowClient
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.exceptions import MlflowException
    except ImportError:
        raise ExportError("export needs MLflow: pip install 'optbench-client[mlflow]'") from None

    experiment = client.experiment(experiment_id)
    if experiment.kind != "training":
        raise ExportError(
            f"experiment {experiment_id} is a {experiment.kind} experiment; only training "
            "experiments have trajectories to export"
        )
    if experiment.status != "succeeded":
        raise ExportError(
            f"experiment {experiment_id} is {experiment.status}; export it once it has succeeded"
        )
    spec = experiment.spec
    source = f"{client.url}/experiments/{experiment_id}"
    name = mlflow_experiment or f"optbench {experiment_id} {experiment.name}".strip()

    records = _records(client, experiment_id)
    members = {which: _members(client, experiment_id, which) for which in ("A", "B")}
    params_of = _hyperparameters(client, spec)
    runs = [r for r in client.run_list(experiment_id) if r.trajectory is not None]
    kept = _kept_models(client, experiment_id) if models else {}

    if _is_file_store(tracking_uri):
        # MLflow keeps its file store for those who ask for it by name.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    tracker = MlflowClient(tracking_uri=tracking_uri)
    try:
        found = tracker.get_experiment_by_name(name)
        mlflow_id = found.experiment_id if found else tracker.create_experiment(name)
        summary = ExportSummary(name, mlflow_id)
        existing = {
            run.data.tags.get(f"{TAG}key"): run
            for run in _all_runs(tracker, mlflow_id, f"tags.`{TAG}source` = '{source}'")
        }
        for run in sorted(runs, key=lambda r: (r.optimizer, r.trajectory)):
            key = f"{run.optimizer}/{run.trajectory}"
            previous = existing.get(key)
            if previous is not None and previous.info.status == "FINISHED":
                summary.skipped.append(key)
                continue
            if previous is not None:
                tracker.delete_run(previous.info.run_id)
                summary.replaced.append(key)
            trajectory_records = records.get((run.optimizer, run.trajectory), [])
            tags = {
                f"{TAG}source": source,
                f"{TAG}key": key,
                f"{TAG}server": client.url,
                f"{TAG}experiment": str(experiment_id),
                f"{TAG}optimizer": run.optimizer,
                f"{TAG}trajectory": str(run.trajectory),
                f"{TAG}task": str(spec.get("task", "")),
                f"{TAG}status": str(run.status),
            }
            for which in ("A", "B"):
                steps = sorted(members[which].get((run.optimizer, run.trajectory), []))
                tags[f"{TAG}set_{which.lower()}"] = "true" if steps else "false"
                tags[f"{TAG}set_{which.lower()}_steps"] = ",".join(map(str, steps))
            created = tracker.create_run(
                mlflow_id, run_name=f"{run.optimizer} #{run.trajectory}", tags=tags
            )
            run_id = created.info.run_id
            params = [Param(k, str(v)) for k, v in params_of(run.optimizer).items()]
            for start in range(0, len(params), BATCH_PARAMS):
                tracker.log_batch(run_id, params=params[start : start + BATCH_PARAMS])
            metrics = list(_metrics(trajectory_records, _started(run), Metric))
            for start in range(0, len(metrics), BATCH_METRICS):
                tracker.log_batch(run_id, metrics=metrics[start : start + BATCH_METRICS])
            for step in kept.get((run.optimizer, run.trajectory), []):
                _log_model(client, tracker, run_id, experiment_id, run, step)
            tracker.log_batch(run_id, tags=[RunTag(f"{TAG}records", str(len(trajectory_records)))])
            tracker.set_terminated(run_id, "FINISHED")
            summary.created.append(key)
    except MlflowException as error:
        raise ExportError(f"MLflow at {tracking_uri}: {_first_line(error)}") from None
    return summary


def _is_file_store(uri: str) -> bool:
    return uri.startswith("file:") or "://" not in uri


def _first_line(error: Exception) -> str:
    text = " ".join(str(getattr(error, "message", error)).split())
    return text[:300] + ("…" if len(text) > 300 else "")


def _all_runs(tracker: Any, experiment_id: str, filter_string: str) -> Iterable[Any]:
    token = None
    while True:
        page = tracker.search_runs(
            [experiment_id], filter_string=filter_string, max_results=1000, page_token=token
        )
        yield from page
        token = page.token
        if not token:
            return


def _records(client: Any, experiment_id: int) -> dict[tuple[str, int], list[dict[str, Any]]]:
    by_trajectory: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for record in client.iter_records(experiment_id):
        row = record.model_dump(mode="json", exclude_unset=True)
        by_trajectory[(record.optimizer, record.trajectory)].append(row)
    return by_trajectory


def _members(client: Any, experiment_id: int, which: str) -> dict[tuple[str, int], list[int]]:
    answer = client.populations(experiment_id, which=which)
    steps: dict[tuple[str, int], list[int]] = defaultdict(list)
    for optimizer, entry in answer.optimizers.items():
        for member in entry.models:
            steps[(optimizer, member.trajectory)].append(member.step)
    return steps


def _kept_models(client: Any, experiment_id: int) -> dict[tuple[str, int], list[int]]:
    kept: dict[tuple[str, int], list[int]] = defaultdict(list)
    for model in client.iter_models(experiment_id):
        kept[(model.optimizer, model.trajectory)].append(model.step)
    return kept


def _hyperparameters(client: Any, spec: dict[str, Any]) -> Any:
    """Per configuration key, its hyperparameters: the optimizer's defaults from the
    server's catalog, with the spec's overrides."""
    defaults = {
        info.name: {h.name: h.default for h in info.hyperparameters} for info in client.optimizers()
    }
    entries = {}
    for entry in spec.get("optimizers", []):
        registered = entry["name"] if not entry.get("base") else f"{entry['name']}({entry['base']})"
        key = entry.get("label") or registered
        values = {**defaults.get(registered, {}), **(entry.get("hyperparameters") or {})}
        entries[key] = {"optimizer": registered, **values}

    def params(key: str) -> dict[str, Any]:
        return entries.get(key, {"optimizer": key})

    return params


def _started(run: Any) -> int:
    started = run.started_at
    if isinstance(started, str):
        started = datetime.fromisoformat(started)
    return int(started.timestamp() * 1000) if started is not None else 0


def _metrics(records: list[dict[str, Any]], started_ms: int, Metric: Any) -> Iterable[Any]:
    for record in records:
        step = int(record["step"])
        timestamp = started_ms + int(1000 * (record.get("wall_time") or 0.0))
        values = {name: record.get(name) for name in RECORD_METRICS}
        values.update(record.get("metrics") or {})
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            yield Metric(name, float(value), timestamp, step)


def _log_model(
    client: Any, tracker: Any, run_id: str, experiment_id: int, run: Any, step: int
) -> None:
    with tempfile.TemporaryDirectory(prefix="optbench-export-") as directory:
        path = client.save_model(
            experiment_id,
            run.optimizer,
            run.trajectory,
            step,
            Path(directory) / f"step-{step}.safetensors",
        )
        tracker.log_artifact(run_id, str(path), artifact_path="models")
