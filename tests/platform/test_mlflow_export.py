"""``optbench export ID --mlflow URI``: each trajectory of a training experiment as an
MLflow run in a local file-based tracking store, read back with MLflow's own client;
exporting again duplicates nothing; an unfinished run of an interrupted export is
replaced; an unreachable tracking server is one line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app
from optbench_client import Client
from shared.config import Settings
from shared.db.session import session_factory
from tests.platform.conftest import Tokens, free_port
from tests.platform.test_artifacts import new_run
from tests.platform.test_results_cli import landscape_experiment, training_experiment
from worker import training

API = "/api/v1"


@pytest.fixture
def connect(settings: Settings, tokens: Tokens, monkeypatch):  # type: ignore[no-untyped-def]
    """The export command's client talks to the real API in this process."""
    web = TestClient(
        create_app(settings),
        base_url=f"http://testserver{API}",
        headers=Tokens.header(tokens.admin),
    )
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")

    def connected(url: str | None, token: str | None) -> Client:
        client = Client("http://testserver", tokens.admin)
        client.http = web
        return client

    monkeypatch.setattr("optbench_client.cli.export.make_client", connected)
    return web


def export(experiment_id: int, uri: str, *options: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["export", str(experiment_id), "--mlflow", uri, *options])


def test_trajectories_become_mlflow_runs_once(settings: Settings, connect, tmp_path: Path) -> None:
    experiment = training_experiment(settings.database_url)
    uri = (tmp_path / "mlruns").as_uri()
    first = export(experiment, uri)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().endswith("6 run(s) logged")

    tracker = MlflowClient(tracking_uri=uri)
    [mlflow_experiment] = [
        e for e in tracker.search_experiments() if e.name.startswith(f"optbench {experiment}")
    ]
    runs = tracker.search_runs([mlflow_experiment.experiment_id])
    assert len(runs) == 6 and {r.info.status for r in runs} == {"FINISHED"}

    records = connect.get(f"/experiments/{experiment}/records", params={"limit": 10_000}).json()
    members = {
        which: connect.get(f"/experiments/{experiment}/populations", params={"which": which}).json()
        for which in ("A", "B")
    }
    for run in runs:
        tags = run.data.tags
        optimizer, trajectory = tags["optbench.optimizer"], int(tags["optbench.trajectory"])
        assert tags["optbench.task"] == "digits" and tags["optbench.experiment"] == str(experiment)
        # hyperparameters as params: the optimizer's defaults, with the spec's overrides
        assert run.data.params["optimizer"] == ("sam" if optimizer.startswith("sam") else "sgd")
        assert "lr" in run.data.params
        if optimizer == "sgd":
            assert float(run.data.params["momentum"]) == 0.0
        # records as step-indexed metrics
        mine = sorted(
            (r for r in records["items"]
             if (r["optimizer"], r["trajectory"]) == (optimizer, trajectory)),
            key=lambda r: r["step"],
        )  # fmt: skip
        history = sorted(
            tracker.get_metric_history(run.info.run_id, "accuracy"), key=lambda m: m.step
        )
        assert [(m.step, m.value) for m in history] == [
            (r["step"], r["metrics"]["accuracy"]) for r in mine
        ]
        losses = tracker.get_metric_history(run.info.run_id, "train_loss")
        assert sorted(m.value for m in losses) == sorted(r["train_loss"] for r in mine)
        # Set A / Set B membership as tags
        for which in ("A", "B"):
            steps = sorted(
                m["step"]
                for m in members[which]["optimizers"][optimizer]["models"]
                if m["trajectory"] == trajectory
            )
            assert tags[f"optbench.set_{which.lower()}_steps"] == ",".join(map(str, steps))
            assert tags[f"optbench.set_{which.lower()}"] == ("true" if steps else "false")

    again = export(experiment, uri)
    assert again.exit_code == 0 and "0 run(s) logged, 6 already exported" in again.stdout
    assert len(tracker.search_runs([mlflow_experiment.experiment_id])) == 6

    # An export interrupted before a run was finished: the next one replaces that run.
    interrupted = runs[0]
    tracker.update_run(interrupted.info.run_id, status="RUNNING")
    third = export(experiment, uri)
    assert third.exit_code == 0, third.output
    assert "1 run(s) logged, 5 already exported, 1 unfinished run(s)" in third.stdout
    after = tracker.search_runs([mlflow_experiment.experiment_id])
    assert len(after) == 6 and {r.info.status for r in after} == {"FINISHED"}
    assert interrupted.info.run_id not in {r.info.run_id for r in after}


def test_kept_models_are_logged_as_artifacts(
    in_process_worker: Settings, connect, tmp_path: Path
) -> None:
    url = in_process_worker.database_url
    experiment, run_id = new_run(url)
    assert training.run_training(session_factory(url), run_id) == "succeeded"
    kept = connect.get(f"/experiments/{experiment}/models").json()["items"]
    assert kept
    uri = (tmp_path / "mlruns").as_uri()
    result = export(experiment, uri, "--models")
    assert result.exit_code == 0, result.output
    tracker = MlflowClient(tracking_uri=uri)
    [run] = tracker.search_runs(
        [e.experiment_id for e in tracker.search_experiments() if e.name != "Default"]
    )
    files = tracker.list_artifacts(run.info.run_id, "models")
    assert sorted(f.path for f in files) == sorted(
        f"models/step-{m['step']}.safetensors" for m in kept
    )
    assert sorted(f.file_size for f in files) == sorted(m["size"] for m in kept)


def test_bad_exports_are_one_line(settings: Settings, connect, tmp_path: Path) -> None:
    landscape = landscape_experiment(settings.database_url)
    refused = export(landscape, (tmp_path / "mlruns").as_uri())
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        f"error: experiment {landscape} is a landscape experiment; only training experiments "
        "have trajectories to export"
    )
    assert not (tmp_path / "mlruns").exists()

    experiment = training_experiment(settings.database_url)
    started = time.monotonic()
    unreachable = export(experiment, f"http://127.0.0.1:{free_port()}")
    assert unreachable.exit_code == 2
    [line] = unreachable.stderr.strip().splitlines()
    assert line.startswith("error: MLflow at http://127.0.0.1:")
    assert time.monotonic() - started < 60
