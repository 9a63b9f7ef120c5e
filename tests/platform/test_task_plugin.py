"""A task from an installed package, end to end, as a lab would use one: the example
plugin (examples/plugins/optbench-example-regression) is pip-installed into this
environment, appears in the catalog with its package, version, options and metrics, runs
through the API and the worker with no change to this repository, and its lower-is-better
metric orders Set B, the comparisons, the kept models and the leaderboard. Also: a task
that raises while building, or that a worker lacks, fails its run with one line."""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path

import numpy as np
import pytest

from optbench_client.frames import items
from shared.db.models import KeptModel, Run
from shared.db.session import session_factory, session_scope
from shared.tasks.catalog import reset_task_registry
from tests.platform.conftest import Tokens
from tests.plugin_packages import pip_install
from worker import training

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "examples" / "plugins" / "optbench-example-regression"
DISTRIBUTION, VERSION = "optbench-example-regression", "0.1.0"
API = "/api/v1"
SPEC = {
    "kind": "training",
    "task": "diabetes_mlp",
    "optimizers": ["sgd", {"name": "sgd", "label": "slow", "hyperparameters": {"lr": 0.005}}],
    "trajectories": 2,
    "budget": {"epochs": 4},
    "evaluate_every": 0.5,
    "population_size": 3,
    "batch_size": 32,
    "device": "cpu",
}


@pytest.fixture(scope="module")
def plugin_installed() -> None:
    """The example plugin installed as a package (not editable: nothing here on the path)."""
    try:
        version = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version != VERSION:
        pip_install(PACKAGE)
    reset_task_registry()
    yield
    reset_task_registry()


def _runs(client, url: str, headers: dict) -> list[dict]:  # type: ignore[no-untyped-def]
    return client.get(f"{url}/runs", headers=headers).json()


def test_the_installed_plugin_is_in_the_catalog(client, tokens, plugin_installed) -> None:
    headers = Tokens.header(tokens.alice)
    listed = {t["name"]: t for t in client.get(f"{API}/tasks", headers=headers).json()}
    task = listed["diabetes_mlp"]
    assert task["available"] and task["metric"] == "mse"
    assert task["origin"]["source"] == "package"
    assert (task["origin"]["package"], task["origin"]["version"]) == (DISTRIBUTION, VERSION)
    assert [(m["name"], m["direction"]) for m in task["metrics"]] == [
        ("mse", "lower"),
        ("r2", "higher"),
    ]
    width = {o["name"]: o for o in task["options"]}["hidden_width"]
    assert (width["type"], width["default"], width["minimum"], width["maximum"]) == (
        "integer",
        32,
        1,
        1024,
    )
    assert listed["char_lm"]["origin"]["source"] == "builtin"
    assert [m["direction"] for m in listed["char_lm"]["metrics"]] == ["lower", "higher"]
    # options are checked at submission against the plugin's schema: 422 naming the option
    bad = client.post(
        f"{API}/experiments",
        json={**SPEC, "task_options": {"hidden_width": 0}},
        headers=headers,
    )
    assert bad.status_code == 422
    (issue,) = bad.json()["detail"]
    assert issue["loc"][-2:] == ["task_options", "hidden_width"]
    assert "greater than or equal to 1" in issue["msg"]
    schema = client.get(f"{API}/spec-schema", headers=headers).json()
    training_spec = schema["$defs"]["TrainingSpec"]
    assert "diabetes_mlp" in training_spec["properties"]["task"]["enum"]


def test_a_plugin_task_runs_and_lower_is_better_throughout(
    client, tokens, in_process_worker, plugin_installed
) -> None:
    sessions = session_factory(in_process_worker.database_url)
    headers = Tokens.header(tokens.alice)
    response = client.post(f"{API}/experiments", json=SPEC, headers=headers)
    assert response.status_code == 202, response.text
    url = response.json()["url"]
    for run in _runs(client, url, headers):
        assert training.run_training(sessions, run["id"]) == "succeeded"
    runs = _runs(client, url, headers)
    assert {(r["task_origin"]["package"], r["task_origin"]["version"]) for r in runs} == {
        (DISTRIBUTION, VERSION)
    }

    page = client.get(f"{url}/records", params={"limit": 10_000}, headers=headers).json()
    records = items(page["items"]).rename(columns=lambda c: c.removeprefix("metrics."))
    assert {"mse", "r2"} <= set(records.columns) and "accuracy" not in records.columns
    assert (records["mse"] > 0).all() and (records["r2"] <= 1).all()

    # Set B: per trajectory the 3 LOWEST test MSEs among models after step 0
    answer = client.get(f"{url}/populations", params={"which": "B", "L": 3}, headers=headers).json()
    assert (answer["metric"], answer["direction"]) == ("mse", "lower")
    candidates = records[records["step"] > 0]
    for optimizer in ("sgd", "slow"):
        members = answer["optimizers"][optimizer]["models"]
        for trajectory in (0, 1):
            mine = candidates[
                (candidates["optimizer"] == optimizer) & (candidates["trajectory"] == trajectory)
            ]
            lowest = mine.sort_values(["mse", "step"]).head(3)
            chosen = [m for m in members if m["trajectory"] == trajectory]
            assert [m["step"] for m in chosen] == lowest["step"].tolist()
            assert [m["value"] for m in chosen] == pytest.approx(lowest["mse"].tolist())
            assert max(m["value"] for m in chosen) <= mine["mse"].nlargest(3).min()

    comparison = client.get(f"{url}/set-comparison", params={"L": 3}, headers=headers).json()
    assert (comparison["metric"], comparison["direction"]) == ("mse", "lower")
    for optimizer in ("sgd", "slow"):
        result = comparison["optimizers"][optimizer]
        assert result["set_b"]["median"] <= result["set_a"]["median"]
    on_r2 = client.get(
        f"{url}/set-comparison", params={"L": 3, "metric": "r2"}, headers=headers
    ).json()
    assert on_r2["direction"] == "higher"
    for optimizer in ("sgd", "slow"):
        result = on_r2["optimizers"][optimizer]
        assert result["set_b"]["median"] >= result["set_a"]["median"]

    wrong = client.get(f"{url}/set-comparison", params={"metric": "accuracy"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["query", "metric"]
    assert "does not report 'accuracy'; its metrics: mse, r2" in wrong.json()["detail"][0]["msg"]
    curve = client.get(f"{url}/learning-curves", params={"column": "r2"}, headers=headers)
    assert curve.status_code == 200 and set(curve.json()["optimizers"]) == {"sgd", "slow"}
    bad_curve = client.get(f"{url}/learning-curves", params={"column": "accuracy"}, headers=headers)
    assert bad_curve.status_code == 422 and "mse, r2" in bad_curve.text

    # kept weights: Set A ∪ Set B at the spec's L, Set B by the lowest MSE
    with session_scope(in_process_worker.database_url) as session:
        kept = {
            (run.optimizer, run.trajectory, step)
            for run, step in session.query(Run, KeptModel.step).join(
                KeptModel, KeptModel.run_id == Run.id
            )
        }
    wanted = set()
    for (optimizer, trajectory), mine in candidates.groupby(["optimizer", "trajectory"]):
        steps = set(mine.sort_values(["train_loss", "step"]).head(3)["step"])
        steps |= set(mine.sort_values(["mse", "step"]).head(3)["step"])
        wanted |= {(optimizer, trajectory, int(s)) for s in steps}
    assert kept == wanted

    board = client.get(f"{API}/leaderboard", params={"task": "diabetes_mlp"}, headers=headers)
    assert board.status_code == 200, board.text
    entries = board.json()["entries"]
    assert board.json()["direction"] == "lower" and len(entries) == 2
    assert [e["median"] for e in entries] == sorted(e["median"] for e in entries)
    by_r2 = client.get(
        f"{API}/leaderboard", params={"task": "diabetes_mlp", "metric": "r2"}, headers=headers
    ).json()
    assert by_r2["direction"] == "higher"
    medians = [e["median"] for e in by_r2["entries"]]
    assert medians == sorted(medians, reverse=True)
    assert np.isfinite(medians).all()


def test_a_task_that_raises_while_building_fails_its_run_with_one_line(
    client, tokens, in_process_worker, monkeypatch
) -> None:
    sessions = session_factory(in_process_worker.database_url)
    monkeypatch.setenv(
        "OPTBENCH_TASKS",
        "exploding=tests.tasks.plugin_fixtures:EXPLODING,line=tests.tasks.plugin_fixtures:LINE",
    )
    reset_task_registry()
    try:
        headers = Tokens.header(tokens.alice)
        urls = {}
        for task in ("exploding", "line"):
            spec = {**SPEC, "task": task, "optimizers": ["sgd"], "trajectories": 1}
            response = client.post(f"{API}/experiments", json=spec, headers=headers)
            assert response.status_code == 202, response.text
            urls[task] = response.json()["url"]
        (run,) = _runs(client, urls["exploding"], headers)
        assert training.run_training(sessions, run["id"]) == "failed"
        (run,) = _runs(client, urls["exploding"], headers)
        assert run["error"] == (
            "task 'exploding' failed to build: the plugin's dataset server is down "
            "(and a second line)"
        )
        # a worker without the plugin: the run fails with one line, the others go on
        monkeypatch.delenv("OPTBENCH_TASKS")
        reset_task_registry()
        (run,) = _runs(client, urls["line"], headers)
        assert training.run_training(sessions, run["id"]) == "failed"
        (run,) = _runs(client, urls["line"], headers)
        assert run["error"].startswith("task 'line' failed to build: unknown task 'line'")
        assert "\n" not in run["error"]
    finally:
        reset_task_registry()
