"""``optbench results`` and ``optbench report`` against the real API and database: both
kinds of experiment, as tables that fit 100 columns, as JSON and as CSV."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import optbench_client.cli.experiments
import optbench_client.cli.report
from api.app import create_app
from cli.main import app
from optbench_client import Client
from shared.accounts import create_token
from shared.config import Settings
from shared.db.models import ModelRecord, Status
from shared.db.session import session_factory, session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from worker.landscape import run_landscape

TRAINING = {
    "kind": "training",
    "task": "digits",
    "optimizers": ["sgd", {"name": "sam", "label": "sam-with-a-long-label"}],
    "trajectories": 3,
    "budget": {"epochs": 12},
    "population_size": 3,
}
LANDSCAPE = {
    "kind": "landscape",
    "functions": ["six_hump_camel"],
    "optimizers": ["sgd", "sam"],
    "restarts": 30,
    "iterations": 100,
}


@pytest.fixture
def api(settings: Settings, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    """The CLI's client talks to the real API in this process; returns the token."""
    with session_scope(settings.database_url) as session:
        _, token = create_token(session, "carol", "t")
    web = TestClient(create_app(settings), base_url="http://testserver/api/v1")

    def connected(url: str | None, token_: str | None) -> Client:
        client = Client("http://testserver", token)
        client.http = web
        web.headers["Authorization"] = f"Bearer {token}"
        return client

    monkeypatch.setattr(optbench_client.cli.experiments, "make_client", connected)
    monkeypatch.setattr(optbench_client.cli.report, "make_client", connected)
    return token


def training_experiment(url: str) -> int:
    """A finished training experiment with records (a learning curve plus noise)."""
    rng = np.random.default_rng(0)
    with session_scope(url) as session:
        user, _ = create_token(session, "dave", "t")
        experiment = create_experiment(session, user, parse_spec(TRAINING))
        for run in experiment.runs:
            run.status = Status.succeeded
            better = 0.02 if run.optimizer.startswith("sam") else 0.0
            for step in range(12):
                loss = 2.0 * np.exp(-step / 4) + rng.normal(0, 0.02) + 0.1
                accuracy = 0.9 + better - 0.5 * np.exp(-step / 3) + rng.normal(0, 0.01)
                session.add(
                    ModelRecord(
                        run_id=run.id,
                        step=step * 10,
                        epoch=float(step),
                        gradient_evaluations=step * 10,
                        loss_evaluations=0,
                        wall_time=float(step),
                        train_loss=loss,
                        running_loss=loss,
                        test_loss=loss + 0.05,
                        metrics={"accuracy": accuracy, "macro_f1": accuracy - 0.02},
                        diverged=False,
                    )
                )
        experiment.status = Status.succeeded
        session.flush()
        return experiment.id


def landscape_experiment(url: str) -> int:
    sessions = session_factory(url)
    with session_scope(url) as session:
        user, _ = create_token(session, "erin", "t")
        experiment = create_experiment(session, user, parse_spec(LANDSCAPE))
        session.flush()
        experiment_id, runs = experiment.id, [r.id for r in experiment.runs]
    for run in runs:
        assert run_landscape(sessions, run) == "succeeded"
    return experiment_id


def results(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["results", *args], env={"COLUMNS": "100"})


def fits(text: str) -> None:
    assert text.strip()
    assert max(len(line) for line in text.splitlines()) <= 100, text
    assert "…" not in text, text


def test_results_of_a_training_experiment(api, settings: Settings, tmp_path: Path) -> None:
    experiment_id = training_experiment(settings.database_url)

    table = results(str(experiment_id))
    assert table.exit_code == 0, table.output
    fits(table.stdout)
    for header in ("A median", "B median", "MWU p", "traj. p", "A12", "overlap", "MWU p Holm"):
        assert header in table.stdout
    assert "sam-with-a-long-label" in table.stdout.replace("\n", "").replace("│", "").replace(
        " ", ""
    )

    answer = results(str(experiment_id), "--json", "--L", "2", "--metric", "macro_f1")
    assert answer.exit_code == 0, answer.output
    data = json.loads(answer.stdout)
    sets, pairs = data["set_comparison"], data["optimizer_comparison"]
    assert sets["L"] == 2 and sets["metric"] == "macro_f1"
    assert sorted(sets["optimizers"]) == ["sam-with-a-long-label", "sgd"]
    assert [(p["optimizer1"], p["optimizer2"]) for p in pairs["pairs"]] == [
        ("sgd", "sam-with-a-long-label")
    ] or [(p["optimizer2"], p["optimizer1"]) for p in pairs["pairs"]] == [
        ("sgd", "sam-with-a-long-label")
    ]

    csv = tmp_path / "sets.csv"
    written = results(str(experiment_id), "--csv", str(csv), "--set", "B")
    assert written.exit_code == 0, written.output
    frame = pd.read_csv(csv)
    assert set(frame["optimizer"]) == {"sgd", "sam-with-a-long-label"}
    # the file has every column the terminal leaves out
    assert {"student_p", "welch_p", "cliffs_delta", "loss_mwu_p", "A_within_std"} <= set(frame)
    pairs_frame = pd.read_csv(tmp_path / "sets_pairs.csv")
    assert len(pairs_frame) == 1 and "student_p_holm" in pairs_frame

    wrong = results(str(experiment_id), "--capture-radius", "0.2")
    assert wrong.exit_code == 2 and "--capture-radius" in wrong.stderr


def test_results_of_a_landscape_experiment(api, settings: Settings, tmp_path: Path) -> None:
    experiment_id = landscape_experiment(settings.database_url)

    table = results(str(experiment_id))
    assert table.exit_code == 0, table.output
    fits(table.stdout)
    for label in ("G1", "G2", "L1", "L4", "else", "sgd", "sam"):
        assert label in table.stdout

    answer = results(str(experiment_id), "--json")
    data = json.loads(answer.stdout)
    assert [f["function"] for f in data["functions"]] == ["six_hump_camel"]

    csv = tmp_path / "distribution.csv"
    assert results(str(experiment_id), "--csv", str(csv)).exit_code == 0
    frame = pd.read_csv(csv)
    assert set(frame["optimizer"]) == {"sgd", "sam"}
    counts = frame.filter(like="counts.").sum(axis=1)
    assert counts.groupby(frame["optimizer"]).sum().to_dict() == {"sgd": 30, "sam": 30}

    wrong = results(str(experiment_id), "--L", "3")
    assert wrong.exit_code == 2 and "training" in wrong.stderr


def test_report_prints_tables_that_fit(api, settings: Settings) -> None:
    experiment_id = training_experiment(settings.database_url)
    result = CliRunner().invoke(app, ["report", str(experiment_id)], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    tables = result.stdout.split("Notes:")[0]
    fits(tables)
    for header in ("A median", "B median", "MWU p", "traj. p", "A12", "overlap"):
        assert header in tables
    everything = CliRunner().invoke(app, ["report", str(experiment_id), "--format", "csv"])
    assert "student_p" in everything.stdout and "loss_welch_p" in everything.stdout


def test_a_missing_experiment_is_one_line(api) -> None:
    result = results("999999")
    assert result.exit_code == 2 and "404" in result.stderr and "not found" in result.stderr
