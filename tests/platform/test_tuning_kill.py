"""``kill -9`` of ``optbench serve`` in the middle of a study: the next ``optbench serve``
resumes the interrupted trials from their checkpoints, and the study ends with every
trial counted once — none lost, none twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import optuna
import pytest

from shared.optim.declarations import resolve_hyperparameters
from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.protocol.tuning import validation_split
from shared.tuning.storage import storage_location
from tests.platform.conftest import ROOT, Tokens, free_port, wait_until
from worker.training import task_and_data

SPEC = {
    "kind": "tuning",
    "task": "digits",
    "optimizers": ["sgd"],
    "budget": {"epochs": 3},
    "evaluate_every": 0.25,
    "batch_size": 32,
    "seed": 5,
    "device": "cpu",
    "tuning": {"trials": 4, "parallel": 2, "pruner": "none"},
}


@pytest.mark.serial
def test_a_study_survives_kill_9_of_the_server(tmp_path) -> None:
    home, port = tmp_path / "home", free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OPTBENCH_") or key == "OPTBENCH_TEST_REDIS_DB"
    }
    env.update(OPTBENCH_HOME=str(home), OPTBENCH_PORT=str(port))
    url = f"http://127.0.0.1:{port}"

    def serve() -> subprocess.Popen[bytes]:
        server = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def up() -> bool:
            try:
                return httpx.get(f"{url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=120, interval=0.3)
        return server

    def study(client: httpx.Client, experiment: int) -> dict:
        return client.get(f"/experiments/{experiment}/tuning").json()

    def mid_trial(client: httpx.Client, experiment: int) -> bool:
        trials = study(client, experiment)["trials"]
        return any(t["state"] == "running" and len(t["intermediate"]) >= 2 for t in trials)

    first = serve()
    try:
        token = (home / "token").read_text().strip()
        client = httpx.Client(base_url=f"{url}/api/v1", headers=Tokens.header(token), timeout=30)
        experiment = client.post("/experiments", json=SPEC).json()["id"]
        wait_until(lambda: mid_trial(client, experiment), timeout=240, interval=0.2)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
    second = serve()
    try:
        wait_until(
            lambda: (
                client.get(f"/experiments/{experiment}").json()["status"] in ("succeeded", "failed")
            ),
            timeout=300,
            interval=0.5,
        )
        answer = study(client, experiment)
        runs = client.get(f"/experiments/{experiment}/runs").json()
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert answer["status"] == "succeeded"
    trials = answer["trials"]
    # every trial once: numbers 0..3, each complete, the budget used exactly
    assert sorted(t["number"] for t in trials) == [0, 1, 2, 3]
    assert all(t["state"] == "complete" for t in trials)
    assert answer["budgets"][0]["used"] == answer["budgets"][0]["complete"] == 4
    assert len(runs) == 4
    resumed = [r for r in runs if r["attempts"] == 2]
    assert resumed, "the kill interrupted a trial"
    # Optuna saw each trial complete once, with the value the platform settled
    optuna_url, kwargs = storage_location(f"sqlite:///{home / 'optbench.db'}")
    [summary] = optuna.get_all_study_summaries(optuna.storages.RDBStorage(optuna_url, kwargs))
    stored = optuna.load_study(
        study_name=summary.study_name, storage=optuna.storages.RDBStorage(optuna_url, kwargs)
    )
    complete = [t for t in stored.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert sorted(t.value for t in complete) == sorted(t["value"] for t in trials)
    # a resumed trial has exactly the records of an uninterrupted one
    task, data = task_and_data("digits", ())
    split = validation_split(data, 0.2, seed=SPEC["seed"])
    for run in resumed:
        trial = next(t for t in trials if t["run"] == run["id"])
        config = TrajectoryConfig(
            "sgd",
            resolve_hyperparameters("sgd", trial["hyperparameters"]),
            trajectory_seeds(SPEC["seed"], "sgd", 0),
            Budget(epochs=3),
            batch_size=32,
            evaluate_every=0.25,
        )
        reference = TrajectoryRunner(task, split, config).run()
        assert [p["value"] for p in trial["intermediate"]] == [
            r.metrics["accuracy"] for r in reference if r.step > 0
        ]
