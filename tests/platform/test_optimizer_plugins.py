"""Optimizer plugins and baselines on the platform: the catalog shows where each comes
from, specs naming them are checked field by field, runs record the plugin's origin, and
a plugin that raises, hangs or is missing on the worker fails only its own run, in one
line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from shared.config import Settings, get_settings
from shared.db.models import Run
from shared.db.session import session_factory, session_scope
from shared.optim.declarations import builtin_registry, set_registry
from tests.platform.conftest import Tokens
from worker import training

API = "/api/v1"
SAMPLES = "tests.optim.plugin_samples"
CONFIGURED = (
    f"signsgd={SAMPLES}:SignSGD,boom={SAMPLES}:Explodes,hangs={SAMPLES}:Hangs,"
    f"untyped={SAMPLES}:Untyped"
)
SPEC = {
    "kind": "training",
    "task": "digits",
    "trajectories": 1,
    "budget": {"epochs": 1},
    "evaluate_every": 0.25,
    "batch_size": 64,
    "population_size": 2,
    "device": "cpu",
    "keep_models": "none",
}


@pytest.fixture
def plugged(settings: Settings, in_process_worker, monkeypatch) -> Iterator[TestClient]:
    """The API and this process's worker functions with the configured plugins."""
    monkeypatch.setenv("OPTBENCH_OPTIMIZERS", CONFIGURED)
    monkeypatch.setenv("OPTBENCH_RUN_TIME_LIMIT", "20")
    get_settings.cache_clear()
    configured = settings.model_copy(update={"optimizers": CONFIGURED})
    yield TestClient(create_app(configured))
    set_registry(builtin_registry())
    get_settings.cache_clear()


def runs_of(url: str, experiment: int) -> dict[str, Run]:
    with session_scope(url) as session:
        rows = session.scalars(select(Run).where(Run.experiment_id == experiment)).all()
        session.expunge_all()
        return {r.key: r for r in rows}


def test_the_catalog_lists_baselines_plugins_and_why_one_is_unavailable(plugged, tokens):
    headers = Tokens.header(tokens.alice)
    entries = {e["name"]: e for e in plugged.get(f"{API}/optimizers", headers=headers).json()}
    assert entries["adamw"]["origin"]["source"] == "builtin"
    assert {h["name"] for h in entries["adamw"]["hyperparameters"]} >= {"beta1", "amsgrad"}
    assert entries["signsgd"]["origin"]["source"] == "configuration"
    assert entries["signsgd"]["origin"]["target"] == f"{SAMPLES}:SignSGD"
    assert not entries["untyped"]["available"] and "kwargs" in entries["untyped"]["reason"]
    assert "adamw" in entries["sam"]["wrapper"]["bases"]
    assert "signsgd" in entries["sam"]["wrapper"]["bases"]


@pytest.mark.parametrize(
    ("entry", "location", "words"),
    [
        ({"name": "lion"}, ["name"], "unknown optimizer 'lion'"),
        ({"name": "untyped"}, ["name"], "unavailable"),
        ({"name": "sam", "base": "nope"}, ["base"], "unknown optimizer 'nope'"),
        ({"name": "sam", "base": "sam"}, ["base"], "wrappers do not nest"),
        ({"name": "adam", "base": "sgd"}, ["base"], "'adam' takes no base"),
        ({"name": "adam", "hyperparameters": {"amsgrad": 1}}, [], "adam.amsgrad"),
        ({"name": "adam", "hyperparameters": {"base.lr": 0.1}}, [], "base. hyperparameters"),
        (
            {"name": "sam", "base": "adamw", "hyperparameters": {"base.lr": -1}},
            [],
            "base.lr",
        ),
    ],
)
def test_bad_optimizer_entries_get_422_naming_the_field(plugged, tokens, entry, location, words):
    headers = Tokens.header(tokens.alice)
    response = plugged.post(
        f"{API}/experiments", json={**SPEC, "optimizers": [entry]}, headers=headers
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][:4] == ["body", "training", "optimizers", 0] or detail["loc"][:3] == [
        "body",
        "optimizers",
        0,
    ]
    assert detail["loc"][-len(location) :] == location if location else True
    assert words in detail["msg"]


def test_a_raising_plugin_fails_only_its_own_run_in_one_line(plugged, tokens, settings):
    headers = Tokens.header(tokens.alice)
    spec = {
        **SPEC,
        "optimizers": [
            {"name": "adam", "hyperparameters": {"lr": 0.01}},
            {"name": "signsgd", "hyperparameters": {"lr": 0.01}},
            {"name": "sam", "base": "adamw", "hyperparameters": {"base.lr": 0.01}},
            "boom",
        ],
    }
    response = plugged.post(f"{API}/experiments", json=spec, headers=headers)
    assert response.status_code == 202, response.text
    experiment = response.json()["id"]
    url = settings.database_url
    sessions = session_factory(url)
    runs = runs_of(url, experiment)
    assert runs["signsgd/0"].optimizer_origin["source"] == "configuration"
    outcomes = {key: training.run_training(sessions, run.id) for key, run in runs.items()}
    assert outcomes == {
        "adam/0": "succeeded",
        "signsgd/0": "succeeded",
        "sam(adamw)/0": "succeeded",
        "boom/0": "failed",
    }
    listed = plugged.get(f"{API}/experiments/{experiment}/runs", headers=headers).json()
    failed = next(r for r in listed if r["key"] == "boom/0")
    assert failed["error"] == "RuntimeError: the lab's optimizer blew up"
    comparison = plugged.get(
        f"{API}/experiments/{experiment}/optimizer-comparison",
        params={"L": 2},
        headers=headers,
    ).json()
    compared = {frozenset((p["optimizer1"], p["optimizer2"])) for p in comparison["pairs"]}
    assert {frozenset(("adam", "sam(adamw)")), frozenset(("signsgd", "sam(adamw)"))} <= compared


def test_a_hanging_plugin_ends_at_the_run_time_limit(plugged, tokens, settings, monkeypatch):
    sessions = session_factory(settings.database_url)
    monkeypatch.setenv("OPTBENCH_RUN_TIME_LIMIT", "2")
    get_settings.cache_clear()
    headers = Tokens.header(tokens.alice)
    response = plugged.post(
        f"{API}/experiments", json={**SPEC, "optimizers": ["hangs"]}, headers=headers
    )
    experiment = response.json()["id"]
    run = runs_of(settings.database_url, experiment)["hangs/0"]
    assert training.run_training(sessions, run.id) == "failed"
    error = runs_of(settings.database_url, experiment)["hangs/0"].error
    assert "limit of 2 s (OPTBENCH_RUN_TIME_LIMIT)" in error and "\n" not in error


def test_a_worker_without_the_plugin_says_which_package_is_missing(plugged, tokens, settings):
    sessions = session_factory(settings.database_url)
    headers = Tokens.header(tokens.alice)
    response = plugged.post(
        f"{API}/experiments", json={**SPEC, "optimizers": ["signsgd"]}, headers=headers
    )
    experiment = response.json()["id"]
    run = runs_of(settings.database_url, experiment)["signsgd/0"]
    set_registry(builtin_registry())  # this "worker" never had the plugin
    assert training.run_training(sessions, run.id) == "failed"
    error = runs_of(settings.database_url, experiment)["signsgd/0"].error
    assert "optimizer 'signsgd'" in error and "is not installed on this worker" in error
