"""The example plugin package, installed as a lab would install its own: its optimizers
appear in the catalog with the package's name and version, pass the conformance check,
and run through a landscape and a training experiment on a real worker, into the
optimizer comparison and the leaderboard, with no change to this repository.

Serial: it installs a package into the environment every other test shares (and
uninstalls it afterwards)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli
from shared.optim.declarations import builtin_registry, set_registry
from tests.platform.conftest import ROOT, Tokens, start_worker, stop, wait_until
from tests.plugin_packages import pip_install, pip_uninstall

pytestmark = pytest.mark.serial

API = "/api/v1"
PACKAGE = ROOT / "examples/plugins/optbench-example-optimizers"
DISTRIBUTION = "optbench-example-optimizers"


@pytest.fixture(scope="module")
def installed() -> Iterator[None]:
    pip_install(PACKAGE)
    yield
    pip_uninstall(DISTRIBUTION)
    set_registry(builtin_registry())


def test_the_plugin_author_checks_an_installed_optimizer(installed) -> None:
    result = CliRunner().invoke(cli, ["optimizers", "check", "lion"])
    assert result.exit_code == 0, result.output
    assert f"{DISTRIBUTION} 0.1.0" in result.output and "all 5 properties hold" in result.output
    listed = CliRunner().invoke(cli, ["optimizers", "list", "--json"])
    assert listed.exit_code == 0 and '"lars"' in listed.output


def test_an_installed_package_runs_through_the_platform(installed, settings, tokens) -> None:
    client = TestClient(create_app(settings))
    headers = Tokens.header(tokens.alice)
    catalog = {e["name"]: e for e in client.get(f"{API}/optimizers", headers=headers).json()}
    lion, lars = catalog["lion"], catalog["lars"]
    assert lion["origin"]["source"] == "package"
    assert (lion["origin"]["package"], lion["origin"]["version"]) == (DISTRIBUTION, "0.1.0")
    assert [h["name"] for h in lion["hyperparameters"]] == ["lr", "beta1", "beta2", "weight_decay"]
    assert lion["coupling"] == "elementwise" and lars["coupling"] == "per_tensor"
    assert next(h for h in lars["hyperparameters"] if h["name"] == "trust")["log"]

    worker = start_worker(
        {
            "OPTBENCH_DATABASE_URL": settings.database_url,
            "OPTBENCH_BROKER_URL": settings.broker_url,
            "OPTBENCH_HOME": str(settings.home),
        }
    )
    try:
        landscape = {
            "kind": "landscape",
            "functions": ["himmelblau"],
            "optimizers": [
                "sgd",
                {"name": "lion", "hyperparameters": {"lr": 0.01}},
                {"name": "lars", "hyperparameters": {"lr": 0.5, "trust": 0.01}},
                {"name": "sam", "base": "lion", "hyperparameters": {"base.lr": 0.01}},
            ],
            "restarts": 20,
            "iterations": 300,
        }
        training = {
            "kind": "training",
            "name": "lion vs adam",
            "task": "digits",
            "optimizers": [
                {"name": "adam", "hyperparameters": {"lr": 0.003}},
                {"name": "lion", "hyperparameters": {"lr": 0.0003}},
            ],
            "trajectories": 2,
            "budget": {"epochs": 1},
            "evaluate_every": 0.25,
            "batch_size": 64,
            "population_size": 2,
            "device": "cpu",
            "keep_models": "none",
        }
        ids = [
            client.post(f"{API}/experiments", json=spec, headers=headers).json()["id"]
            for spec in (landscape, training)
        ]
        for experiment in ids:
            state = wait_until(
                lambda e=experiment: (
                    (s := client.get(f"{API}/experiments/{e}", headers=headers).json())["status"]
                    in ("succeeded", "failed", "cancelled")
                    and s
                ),
                timeout=600,
            )
            assert state["status"] == "succeeded", state
    finally:
        stop(worker)

    distribution = client.get(f"{API}/experiments/{ids[0]}/distribution", headers=headers).json()
    rows = {o["optimizer"]: o for o in distribution["functions"][0]["optimizers"]}
    assert {"lion", "lars", "sam(lion)"} <= set(rows)
    assert sum(rows["lion"]["counts"].values()) == 20
    runs = client.get(f"{API}/experiments/{ids[1]}/runs", headers=headers).json()
    lion_runs = [r for r in runs if r["optimizer"] == "lion"]
    assert lion_runs and all(r["optimizer_origin"]["version"] == "0.1.0" for r in lion_runs), (
        lion_runs
    )
    board = client.get(f"{API}/leaderboard", params={"task": "digits"}, headers=headers).json()
    assert {"adam", "lion"} <= {e["name"] for e in board["entries"]}
