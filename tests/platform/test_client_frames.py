"""The client's DataFrames against the real API (PostgreSQL, the application in this
process): every column is a path of the API's JSON and every value is the JSON's, for
each statistic; the typed answers parse every answer; the asynchronous client gives the
same frames; the iterators page through everything."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from optbench_client import AsyncClient, Client, schema
from shared.accounts import create_token
from shared.config import Settings
from shared.db.models import ModelRecord, Status
from shared.db.session import session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from tests.platform.conftest import Tokens
from tests.platform.test_results_cli import landscape_experiment
from tests.platform.test_tuning import drive, study_spec

API = "/api/v1"
SWEPT = {
    "kind": "training",
    "task": "digits",
    "optimizers": [{"name": "sgd", "sweep": {"lr": [0.01, 0.1]}}, "sam"],
    "trajectories": 3,
    "budget": {"epochs": 12},
    "population_size": 3,
}


def swept_experiment(url: str) -> int:
    """A finished training experiment with a sweep: records of learning curves plus
    noise (the second configuration a little better)."""
    rng = np.random.default_rng(1)
    with session_scope(url) as session:
        user, _ = create_token(session, "dave", "t")
        experiment = create_experiment(session, user, parse_spec(SWEPT))
        for run in experiment.runs:
            run.status = Status.succeeded
            better = 0.02 if "0.1" in run.optimizer else 0.0
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


@pytest.fixture
def web(settings: Settings, tokens: Tokens) -> TestClient:
    return TestClient(
        create_app(settings),
        base_url=f"http://testserver{API}",
        headers=Tokens.header(tokens.alice),
    )


@pytest.fixture
def api(web: TestClient, tokens: Tokens) -> Client:
    client = Client("http://testserver", tokens.alice)
    client.http = web
    return client


# -- the rule: columns are JSON paths, values the JSON's ----------------------------------


def leaves(value: Any, path: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every leaf of a JSON object by its dotted path (lists are leaves, as empty objects
    have none)."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found.update(leaves(inner, (*path, str(key))))
        return found
    return {".".join(path): value}


def same(got: Any, expected: Any) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return got is None or (isinstance(got, float) and math.isnan(got))
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(same(g, e) for g, e in zip(got, expected, strict=True))
        )
    if isinstance(expected, bool) or isinstance(got, bool):
        return bool(got) == expected and type(expected) is bool
    if isinstance(expected, int | float):
        return isinstance(got, int | float | np.number) and float(got) == float(expected)
    return got == expected


def assert_is_json(frame: pd.DataFrame, rows: list[dict[str, Any]]) -> None:
    """``frame`` has one row per object of ``rows``, a column per leaf path, and the
    JSON's value in every cell."""
    expected = [leaves(row) for row in rows]
    assert len(frame) == len(expected) > 0
    assert set(frame.columns) == set().union(*expected), set(frame.columns) ^ set().union(*expected)
    for index, row in enumerate(expected):
        got = frame.iloc[index]
        for column in frame.columns:
            assert same(got[column], row.get(column)), (index, column, got[column], row.get(column))


def json_of(web: TestClient, path: str, **params: Any) -> Any:
    response = web.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


# -- the statistics ----------------------------------------------------------------------


def test_training_frames_equal_the_api_json(
    settings: Settings, web: TestClient, api: Client
) -> None:
    experiment = swept_experiment(settings.database_url)
    base = f"/experiments/{experiment}"

    sets = json_of(web, f"{base}/set-comparison", L=3)
    frame = api.set_comparison_frame(experiment, L=3)
    assert_is_json(frame, [{"optimizer": k, **v} for k, v in sets["optimizers"].items()])
    assert frame.attrs == {k: v for k, v in sets.items() if k not in ("optimizers", "on_sharpness")}
    assert "on_metric.trajectory_pvalue" in frame and "set_a.median" in frame

    pairs = json_of(web, f"{base}/optimizer-comparison", which="B")
    frame = api.optimizer_comparison_frame(experiment, which="B")
    assert_is_json(frame, pairs["pairs"])
    assert frame.attrs["set"] == "B" and frame.attrs["warnings"] == pairs["warnings"]

    members = json_of(web, f"{base}/populations", which="A")
    rows = [
        {
            "optimizer": name,
            **member,
            **{k: v for k, v in entry.items() if k not in member and k != "models"},
        }
        for name, entry in members["optimizers"].items()
        for member in entry["models"]
    ]
    frame = api.populations_frame(experiment, which="A")
    assert_is_json(frame, rows)
    assert len(frame) == 3 * 3 * 3  # 3 configurations × 3 trajectories × L = 3

    curves = json_of(web, f"{base}/learning-curves", column="accuracy", window=2)
    frame = api.learning_curves_frame(experiment, column="accuracy", window=2)
    rows = [
        {"optimizer": name, **{k: v[i] for k, v in curve.items()}}
        for name, curve in curves["optimizers"].items()
        for i in range(len(curve["gradient_evaluations"]))
    ]
    assert_is_json(frame, rows)
    assert frame.attrs == {"column": "accuracy", "window": 2}

    swept = json_of(web, f"{base}/sweep")
    frame = api.sweep_frame(experiment)
    rows = [
        {**{k: v for k, v in series.items() if k != "points"}, **point}
        for series in swept["sweeps"]
        for point in series["points"]
    ]
    assert_is_json(frame, rows)
    assert sorted(frame["values.lr"]) == [0.01, 0.1]

    planned = json_of(web, f"{base}/plan", power=0.8)
    frame = api.plan_frame(experiment, power=0.8)
    rows = [
        {"comparison": "set_comparisons", "optimizer": k, **v}
        for k, v in planned["set_comparisons"].items()
    ] + [{"comparison": "optimizer_pairs", **p} for p in planned["optimizer_pairs"]]
    assert_is_json(frame, rows)

    board = json_of(web, "/leaderboard", task="digits")
    assert_is_json(api.leaderboard_frame("digits"), board["entries"])

    # the typed answers read the same JSON
    assert api.set_comparison(experiment, L=3).model_dump(mode="json", exclude_unset=True) == sets
    assert isinstance(api.plan(experiment, power=0.8), schema.Plan)

    records = json_of(web, f"{base}/records", limit=10_000)["items"]
    frame = api.records(experiment)
    assert_is_json(frame, records)
    assert "metrics.accuracy" in frame and len(frame) == 3 * 3 * 12
    # the iterator pages (5 records a page here) through the same records
    paged = list(api.iter_records(experiment, page_size=5))
    assert [r.model_dump(mode="json", exclude_unset=True) for r in paged] == records
    runs = json_of(web, f"{base}/runs")
    assert_is_json(api.runs(experiment), runs)
    assert [r.id for r in api.iter_runs(experiment)] == [r["id"] for r in runs]
    assert [e.id for e in api.iter_experiments(page_size=1)] == [experiment]


def test_landscape_frames_equal_the_api_json(
    settings: Settings, web: TestClient, api: Client
) -> None:
    experiment = landscape_experiment(settings.database_url)
    answer = json_of(web, f"/experiments/{experiment}/distribution", capture_radius=0.05)
    frame = api.distribution_frame(experiment, capture_radius=0.05)
    rows = [{"function": f["function"], **o} for f in answer["functions"] for o in f["optimizers"]]
    assert_is_json(frame, rows)
    assert frame.filter(like="counts.").sum(axis=1).tolist() == [30, 30]
    assert frame.attrs["capture_radius"] == 0.05
    tests = api.pair_tests_frame(experiment, capture_radius=0.05)
    assert_is_json(
        tests, [{"function": f["function"], **t} for f in answer["functions"] for t in f["tests"]]
    )


def test_tuning_trials_frame_equals_the_api_json(client, tokens, in_process_worker) -> None:
    headers = Tokens.header(tokens.alice)
    accepted = client.post(f"{API}/experiments", json=study_spec(name="frames"), headers=headers)
    assert accepted.status_code == 202, accepted.text
    study = accepted.json()["id"]
    drive(in_process_worker.database_url, study)
    api = Client("http://testserver", tokens.alice)
    api.http = TestClient(client.app, base_url=f"http://testserver{API}", headers=headers)
    answer = client.get(f"{API}/experiments/{study}/tuning", headers=headers).json()
    trials = api.trials_frame(study)
    assert_is_json(trials, answer["trials"])
    assert "hyperparameters.lr" in trials and len(trials) == 4
    assert_is_json(api.budget_frame(study), answer["budgets"])


def test_the_async_client_gives_the_same_frames(settings: Settings, api: Client, tokens) -> None:
    experiment = swept_experiment(settings.database_url)
    app = create_app(settings)

    async def both() -> tuple[pd.DataFrame, pd.DataFrame, list[int], Any]:
        async with AsyncClient("http://testserver", tokens.alice) as remote:
            remote.http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url=f"http://testserver{API}",
                headers=Tokens.header(tokens.alice),
            )
            sets = await remote.set_comparison_frame(experiment)
            records = await remote.records(experiment)
            steps = [r.step async for r in remote.iter_records(experiment, page_size=7)]
            state = await remote.wait(experiment, poll=0.01)
            return sets, records, steps, state

    sets, records, steps, state = asyncio.run(both())
    pd.testing.assert_frame_equal(sets, api.set_comparison_frame(experiment))
    pd.testing.assert_frame_equal(records, api.records(experiment))
    assert steps == api.records(experiment)["step"].tolist()
    assert state.status == "succeeded"


def test_queue_frame_equals_the_api_json(client, tokens) -> None:
    """Two members' experiments waiting: one row each, the experiment's fields as the API
    names them, its member's beside them."""
    for token, name in ((tokens.alice, "a"), (tokens.bob, "b")):
        spec = {"kind": "landscape", "name": name, "functions": ["himmelblau"]}
        spec |= {"optimizers": ["sgd"], "restarts": 3, "iterations": 10}
        accepted = client.post(f"{API}/experiments", json=spec, headers=Tokens.header(token))
        assert accepted.status_code == 202, accepted.text
    headers = Tokens.header(tokens.alice)
    api = Client("http://testserver", tokens.alice)
    api.http = TestClient(client.app, base_url=f"http://testserver{API}", headers=headers)
    answer = client.get(f"{API}/queue", headers=headers).json()
    frame = api.queue_frame()
    rows = [
        {
            "member": m["member"],
            "member.share": m["share"],
            "member.running": m["running"],
            "member.queued": m["queued"],
            **e,
        }
        for m in answer["members"]
        for e in m["experiments"]
    ]
    assert len(rows) == 2
    assert_is_json(frame, rows)
    assert sorted(frame["member"]) == ["alice", "bob"]
    assert frame.attrs["window"] == answer["window"]
    assert api.queue() == answer
