"""Training experiments end to end: a real worker trains digits trajectories, and the
API's Set A / Set B and optimizer-pair tests match scipy run by hand on the returned
records; a trajectory killed mid-way resumes into exactly the uninterrupted records."""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from client.models import with_metric_columns
from shared.accounts import create_token
from shared.db.base import utcnow
from shared.db.models import ModelRecord, Run, Status
from shared.db.session import session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from tests.platform.conftest import Tokens, start_worker, stop, wait_until
from worker import training

API = "/api/v1"
SPEC = {
    "kind": "training",
    "name": "digits e2e",
    "task": "digits",
    "optimizers": [
        {"name": "sgd", "hyperparameters": {"lr": 0.05}},
        {"name": "sam", "hyperparameters": {"lr": 0.05, "rho": 0.05}},
    ],
    "trajectories": 3,
    "budget": {"epochs": 3},
    "evaluate_every": 0.25,
    "batch_size": 64,
    "population_size": 4,
    "seed": 1,
    "device": "cpu",
    "sharpness": True,
    "sharpness_iterations": 40,
    "sharpness_batch": 64,
}


def by_hand_sets(records: pd.DataFrame, L: int, metric: str):
    """Set A and Set B as the protocol defines them, with pandas: from the evaluated models
    after step 0 and before any divergence."""
    first_divergence = (
        records[records["diverged"]].groupby(["optimizer", "trajectory"])["step"].min()
    )
    limit = records.join(first_divergence.rename("limit"), on=["optimizer", "trajectory"])
    records = records[(records["step"] > 0) & ~(limit["limit"] <= records["step"])]
    a = records.sort_values(["train_loss", "step"]).groupby(["optimizer", "trajectory"]).head(L)
    b = (
        records.sort_values([metric, "step"], ascending=[False, True])
        .groupby(["optimizer", "trajectory"])
        .head(L)
    )
    return a, b


@pytest.fixture
def finished(client, tokens, settings):
    worker = start_worker(
        {
            "OPTBENCH_DATABASE_URL": settings.database_url,
            "OPTBENCH_BROKER_URL": settings.broker_url,
            "OPTBENCH_HOME": str(settings.home),
        }
    )
    try:
        headers = Tokens.header(tokens.alice)
        experiment = client.post(f"{API}/experiments", json=SPEC, headers=headers).json()["id"]
        url = f"{API}/experiments/{experiment}"
        state = wait_until(
            lambda: (
                (s := client.get(url, headers=headers).json())["status"]
                in ("succeeded", "failed", "cancelled")
                and s
            ),
            timeout=420,  # a shared 2-core machine can be slow
        )
        assert state["status"] == "succeeded", client.get(f"{url}/runs", headers=headers).json()
        yield experiment, headers
    finally:
        stop(worker)


def test_training_experiment_statistics_match_scipy(client, finished, monkeypatch) -> None:
    experiment, headers = finished
    url = f"{API}/experiments/{experiment}"
    page = client.get(f"{url}/records", params={"limit": 10_000}, headers=headers).json()
    records = with_metric_columns(page["items"])
    # 1437 training images / 64 → 23 steps per epoch, an evaluation every 6 steps
    per_trajectory = records.groupby(["optimizer", "trajectory"]).size()
    assert len(per_trajectory) == 6 and per_trajectory.nunique() == 1
    assert page["total"] == len(records)
    assert (records.groupby(["optimizer", "trajectory"])["step"].min() == 0).all()
    first = records[records["step"] == 0].set_index(["optimizer", "trajectory"])
    # paired design: trajectory i starts from the same weights for both optimizers
    assert np.allclose(first.loc["sgd"]["train_loss"], first.loc["sam"]["train_loss"])

    comparison = client.get(f"{url}/set-comparison", headers=headers).json()
    assert comparison["metric"] == "accuracy" and comparison["L"] == 4
    assert comparison["alpha"] == 0.05
    a, b = by_hand_sets(records, 4, "accuracy")
    assert not (a["step"] == 0).any() and not (b["step"] == 0).any()
    for optimizer in ("sgd", "sam"):
        result = comparison["optimizers"][optimizer]
        # the step-0 model of each of the 3 trajectories is left out, and counted
        assert result["candidates"]["initial_models"] == 3
        assert (
            result["candidates"]["candidates"]
            == len(records[records["optimizer"] == optimizer]) - 3
        )
        shared = len(
            a[a["optimizer"] == optimizer].merge(
                b[b["optimizer"] == optimizer], on=["trajectory", "step"]
            )
        )
        assert result["overlap"] == pytest.approx(shared / 12)
        assert any(w.startswith("With 3 pairs of trajectories") for w in result["warnings"])
        assert (result["overlap"] >= 0.5) == any("also in Set B" in w for w in result["warnings"])
        # The floor counts only the pairs whose Set A and Set B means differ.
        means_a = a[a["optimizer"] == optimizer].groupby("trajectory")["accuracy"].mean()
        means_b = b[b["optimizer"] == optimizer].groupby("trajectory")["accuracy"].mean()
        zeros = int(np.isclose(means_a - means_b, 0, rtol=0, atol=1e-12).sum())
        floor = result["on_metric"]
        assert floor["trajectory_pvalue_floor"] == pytest.approx(min(1.0, 2 / 2 ** (3 - zeros)))
        assert floor["trajectories_needed"] == 6 + zeros
        x = a[a["optimizer"] == optimizer]["accuracy"].to_numpy()
        y = b[b["optimizer"] == optimizer]["accuracy"].to_numpy()
        model = result["on_metric"]["model"]
        assert model["n1"] == model["n2"] == 12
        assert model["mwu_pvalue"] == pytest.approx(
            stats.mannwhitneyu(x, y, alternative="two-sided").pvalue, nan_ok=True
        )
        assert model["student_pvalue"] == pytest.approx(stats.ttest_ind(x, y).pvalue, nan_ok=True)
        assert model["welch_pvalue"] == pytest.approx(
            stats.ttest_ind(x, y, equal_var=False).pvalue, nan_ok=True
        )
        assert result["set_a"]["median"] == pytest.approx(np.median(x))
        assert result["set_b"]["mean"] == pytest.approx(np.mean(y))
        loss_a = a[a["optimizer"] == optimizer]["train_loss"].to_numpy()
        loss_b = b[b["optimizer"] == optimizer]["train_loss"].to_numpy()
        assert result["on_train_loss"]["model"]["mwu_pvalue"] == pytest.approx(
            stats.mannwhitneyu(loss_a, loss_b, alternative="two-sided").pvalue
        )

    answer = client.get(f"{url}/optimizer-comparison", headers=headers).json()
    pairs = answer["pairs"]
    assert answer["candidates"]["sam"]["initial_models"] == 3
    assert len(pairs) == 1
    sam = a[a["optimizer"] == "sam"]["accuracy"].to_numpy()
    sgd = a[a["optimizer"] == "sgd"]["accuracy"].to_numpy()
    pair = pairs[0]
    x, y = (sam, sgd) if pair["optimizer1"] == "sam" else (sgd, sam)
    assert pair["comparison"]["model"]["mwu_pvalue"] == pytest.approx(
        stats.mannwhitneyu(x, y, alternative="two-sided").pvalue
    )
    assert pair["comparison"]["model"]["student_pvalue"] == pytest.approx(
        stats.ttest_ind(x, y).pvalue, nan_ok=True
    )
    assert pair["comparison"]["model"]["median_difference_resampled"] == "trajectories"

    curves = client.get(
        f"{url}/learning-curves", params={"column": "accuracy", "window": 2}, headers=headers
    ).json()
    sam_curve = curves["optimizers"]["sam"]
    assert sam_curve["gradient_evaluations"][:2] == [0, 12]  # SAM: 2 per step
    populations = client.get(
        f"{url}/populations", params={"which": "B", "L": 2}, headers=headers
    ).json()
    assert len(populations["optimizers"]["sgd"]["models"]) == 6
    assert all(m["step"] > 0 for m in populations["optimizers"]["sgd"]["models"])
    assert populations["optimizers"]["sgd"]["candidates"]["initial_models"] == 3

    # 12 evaluation points after step 0 per trajectory: L = 12 is the most a query can ask
    most = per_trajectory.iloc[0] - 1
    assert client.get(f"{url}/populations", params={"L": most}, headers=headers).status_code == 200
    too_many = client.get(f"{url}/set-comparison", params={"L": most + 1}, headers=headers)
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["query", "L"]
    assert f"L: {most + 1} is more than the {most} candidate" in too_many.text
    for params in ({"alpha": 0}, {"alpha": 0.9}, {"L": 0}, {"L": 10_000}):
        response = client.get(f"{url}/optimizer-comparison", params=params, headers=headers)
        assert response.status_code == 422, params

    # Sharpness: measured at every point, its cost apart from the optimizer's budget, and
    # Set A vs Set B and the optimizer pair compared on it as scipy does by hand.
    assert records["sharpness"].notna().all() and (records["sharpness"] > 0).all()
    assert records["sharpness_products"].between(1, 40).all()
    assert (
        records["sharpness_gradient_evaluations"] == 1 + 2 * records["sharpness_products"]
    ).all()
    # An estimate that stops unconverged is counted, and left out of the statistics.
    converged = records["sharpness_converged"].astype(bool)
    assert converged.mean() > 0.5, records["sharpness_converged"].value_counts()
    for optimizer in ("sgd", "sam"):
        mine = (records["optimizer"] == optimizer) & (records["step"] > 0)
        counts = comparison["optimizers"][optimizer]["candidates"]
        assert counts["sharpness_unconverged"] == int((mine & ~converged).sum())
    a = a[a["sharpness_converged"].astype(bool)]
    b = b[b["sharpness_converged"].astype(bool)]
    sgd_records = records[records["optimizer"] == "sgd"]
    assert (sgd_records["gradient_evaluations"] == sgd_records["step"]).all()
    for optimizer in ("sgd", "sam"):
        on_sharpness = comparison["on_sharpness"][optimizer]
        x = a[a["optimizer"] == optimizer]
        y = b[b["optimizer"] == optimizer]
        assert on_sharpness["on_sharpness"]["model"]["mwu_pvalue"] == pytest.approx(
            stats.mannwhitneyu(x["sharpness"], y["sharpness"], alternative="two-sided").pvalue
        )
        assert on_sharpness["set_a"]["median"] == pytest.approx(x["sharpness"].median())
        assert on_sharpness["set_a_correlation"]["rho"] == pytest.approx(
            stats.spearmanr(x["sharpness"], x["accuracy"]).statistic, nan_ok=True
        )
    sharp_pair = answer["on_sharpness"]["pairs"][0]
    x, y = (
        a[a["optimizer"] == name]["sharpness"]
        for name in (sharp_pair["optimizer1"], sharp_pair["optimizer2"])
    )
    assert sharp_pair["comparison"]["model"]["mwu_pvalue"] == pytest.approx(
        stats.mannwhitneyu(x, y, alternative="two-sided").pvalue
    )
    assert set(answer["on_sharpness"]["correlations"]) == {"sgd", "sam"}
    sharp_curves = client.get(
        f"{url}/learning-curves", params={"column": "sharpness"}, headers=headers
    ).json()
    first_point = sgd_records[
        (sgd_records["step"] == 0) & sgd_records["sharpness_converged"].astype(bool)
    ]["sharpness"]
    assert sharp_curves["optimizers"]["sgd"]["mean"][0] == pytest.approx(first_point.mean())

    plan = client.get(f"{url}/plan", params={"max_trajectories": 20}, headers=headers).json()
    assert set(plan["set_comparisons"]) == {"sgd", "sam"} and len(plan["optimizer_pairs"]) == 1
    assert plan["pair_family_size"] == 1 and "α/1" not in plan["levels"]  # one pair in all
    stated = client.get(
        f"{url}/plan", params={"max_trajectories": 20, "pair": ["sam", "sgd"]}, headers=headers
    )
    assert stated.status_code == 200 and "the pair sam vs sgd alone" in stated.json()["levels"]
    for pair in (["sgd"], ["sgd", "adam"], ["sgd", "sgd"]):
        refused = client.get(f"{url}/plan", params={"pair": pair}, headers=headers)
        assert refused.status_code == 422, pair
        assert refused.json()["detail"][0]["loc"] == ["query", "pair"]
    for entry in [*plan["set_comparisons"].values(), plan["optimizer_pairs"][0]["plan"]]:
        assert entry["pilot_trajectories1"] == 3
        assert (entry["trajectories"] is None) == (entry["note"] is not None)
        if entry["trajectories"] is not None:
            assert entry["achieved_power"] >= 0.8

    board = client.get(f"{API}/leaderboard", params={"task": "digits"}, headers=headers)
    entries = board.json()["entries"]
    assert {e["optimizer"] for e in entries} == {"sgd", "sam"}
    assert entries[0]["rank"] == 1 and entries[0]["submitter"] == "alice"
    assert all(e["trajectories"] == 3 for e in entries)
    # 3 vs 3 trajectories cannot reach p < 0.05 (floor 0.1): the board cannot separate them
    assert [e["rank"] for e in entries] == [1, 1]
    assert entries[1]["pvalue_floor"] == pytest.approx(0.1)
    assert "trajectories" in board.json()["ties"]
    assert (
        client.get(f"{API}/leaderboard", params={"task": "chess"}, headers=headers).status_code
        == 422
    )

    # the CLI's report and plan, against this API served in-process
    cli_output = run_cli(client, headers, monkeypatch, ["report", str(experiment)])
    assert re.search(r"\bnan\b", cli_output, re.IGNORECASE) is None
    assert "Notes:" in cli_output and "left out of both sets: 3 step-0 models" in cli_output
    assert "With 3 pairs of trajectories" in cli_output
    assert "Set A vs Set B on sharpness" in cli_output
    assert "optimizer pairs on sharpness" in cli_output
    planned = run_cli(
        client, headers, monkeypatch, ["plan", str(experiment), "--max-trajectories", "20"]
    )
    assert "Set A vs B (paired)" in planned and "sam vs sgd on Set A" in planned


def run_cli(client, headers, monkeypatch, arguments: list[str]) -> str:
    """Run an optbench command whose API client talks to the in-process test app."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from cli.main import app
    from client.api import Client

    def in_process(url, token):
        api = Client("http://testserver", headers["Authorization"].split()[1])
        api.http = TestClient(client.app, base_url="http://testserver/api/v1", headers=headers)
        return api

    for module in ("cli.experiments", "cli.report", "cli.plan"):
        monkeypatch.setattr(f"{module}.make_client", in_process)
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    return result.output


def test_short_schedules_and_unbounded_populations_get_422(client, tokens) -> None:
    headers = Tokens.header(tokens.alice)
    base = {"kind": "training", "task": "digits", "optimizers": ["sgd"], "trajectories": 2}
    # the defaults are sound: 10 epochs, an evaluation every 0.5 epoch, L = 10
    assert client.post(f"{API}/experiments", json=base, headers=headers).status_code == 202
    for change, field, reason in [
        ({"budget": {"epochs": 3}}, "population_size", "needs at least 2L = 20 evaluation"),
        (
            {"budget": {"epochs": 10}, "evaluate_every": 1, "population_size": 6},
            "population_size",
            "lower population_size to at most 5 or evaluate_every to at most 0.8333",
        ),
        ({"evaluate_every": 0.001}, "evaluate_every", "greater than or equal to 0.01"),
        ({"population_size": 5000}, "population_size", "less than or equal to 1000"),
        (
            {"budget": {"epochs": 200}, "evaluate_every": 0.01},
            "evaluate_every",
            "more than 10000",
        ),
    ]:
        response = client.post(f"{API}/experiments", json={**base, **change}, headers=headers)
        assert response.status_code == 422, change
        errors = response.json()["detail"]
        assert any(e["loc"][-1] == field and reason in e["msg"] for e in errors), errors
    # a gradient-evaluation budget cannot be counted in points before the data is loaded
    gradient = {**base, "budget": {"gradient_evaluations": 50}}
    assert client.post(f"{API}/experiments", json=gradient, headers=headers).status_code == 202


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so no handler records it."""


def test_killed_trajectory_resumes_into_identical_records(
    settings, in_process_worker, monkeypatch
) -> None:
    url = settings.database_url
    spec = {**SPEC, "optimizers": ["nim_mbh"], "trajectories": 1}  # sharpness measured too
    with session_scope(url) as session:
        user, _ = create_token(session, "alice", "t")
        runs = [create_experiment(session, user, parse_spec(spec)).runs[0].id for _ in range(2)]
    assert training.run_training(url, runs[0]) == "succeeded"

    original = training.persist_evaluations

    def dying(*args):
        persist = original(*args)
        calls = {"n": 0}

        def on_evaluation(record, checkpoint):
            persist(record, checkpoint)
            calls["n"] += 1
            if calls["n"] == 5:
                raise Killed

        return on_evaluation

    monkeypatch.setattr(training, "persist_evaluations", dying)
    with pytest.raises(Killed):
        training.run_training(url, runs[1])
    monkeypatch.setattr(training, "persist_evaluations", original)
    with session_scope(url) as session:
        run = session.get(Run, runs[1])
        assert run.status == Status.running and run.checkpoint_key is not None
    # Redelivered at once, the run still belongs to its (silent) worker…
    assert training.run_training(url, runs[1]) == "running elsewhere"
    with session_scope(url) as session:  # …until its heartbeat is stale
        session.get(Run, runs[1]).heartbeat_at = utcnow() - timedelta(hours=1)
    assert training.run_training(url, runs[1]) == "succeeded"

    def comparable(run_id: int) -> list[dict]:
        with session_scope(url) as session:
            rows = (
                session.query(ModelRecord).filter_by(run_id=run_id).order_by(ModelRecord.step).all()
            )
            return [
                {
                    c: getattr(r, c)
                    for c in (
                        "step",
                        "epoch",
                        "gradient_evaluations",
                        "loss_evaluations",
                        "train_loss",
                        "running_loss",
                        "test_loss",
                        "metrics",
                        "diverged",
                        "sharpness",
                        "sharpness_gradient_evaluations",
                    )
                }
                for r in rows
            ]

    assert comparable(runs[1]) == comparable(runs[0])
    with session_scope(url) as session:
        assert session.get(Run, runs[1]).attempts == 2


def test_tune_store_and_reference_a_tuned_configuration(
    client, tokens, in_process_worker, monkeypatch
) -> None:
    """``optbench tune`` submits a study; its best is stored as a tuned configuration
    that later specs reference by name."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    import cli.experiments
    from api.app import create_app
    from cli.main import app
    from client.api import Client
    from tests.platform.test_tuning import drive

    web = TestClient(create_app(in_process_worker), base_url="http://testserver/api/v1")
    web.headers["Authorization"] = f"Bearer {tokens.alice}"

    def connected(url: str | None, token: str | None) -> Client:
        api = Client("http://testserver", tokens.alice)
        api.http = web
        return api

    monkeypatch.setattr(cli.experiments, "make_client", connected)
    tune = ["tune", "--task", "digits", "--optimizer", "sgd", "--search", "lr=1e-3:0.5:log"]
    result = CliRunner().invoke(
        app,
        [*tune, "--set", "momentum=0.5", "--trials", "3", "--epochs", "1", "--batch-size", "64",
         "--name", "sgd-digits", "--no-wait"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    drive(in_process_worker.database_url, int(result.stdout.strip().splitlines()[-1]))
    again = CliRunner().invoke(app, [*tune, "--trials", "1", "--name", "sgd-digits"])
    bad = CliRunner().invoke(
        app, ["tune", "--task", "digits", "--optimizer", "sgd", "--search", "rho=0:1"]
    )
    assert again.exit_code == 2 and "exists already" in again.stderr
    assert bad.exit_code == 2 and "tuning.search.sgd.rho" in bad.stderr
    headers = Tokens.header(tokens.alice)
    stored = client.get(f"{API}/tuned", params={"task": "digits"}, headers=headers).json()
    assert [t["name"] for t in stored] == ["sgd-digits-sgd"] and stored[0]["trials"] == 3
    best_lr = stored[0]["hyperparameters"]["lr"]
    assert 1e-3 <= best_lr <= 0.5 and stored[0]["hyperparameters"]["momentum"] == 0.5

    spec = {
        **SPEC,
        "optimizers": [
            {"name": "sgd", "tuned": "sgd-digits-sgd"},
            {
                "name": "sgd",
                "label": "sgd-slow",
                "tuned": "sgd-digits-sgd",
                "hyperparameters": {"lr": 0.001},
            },
        ],
    }
    response = client.post(f"{API}/experiments", json=spec, headers=headers)
    assert response.status_code == 202, response.text
    stored_spec = client.get(response.json()["url"], headers=headers).json()["spec"]
    assert stored_spec["optimizers"][0]["hyperparameters"]["lr"] == best_lr
    slow = stored_spec["optimizers"][1]["hyperparameters"]
    assert (slow["lr"], slow["momentum"]) == (0.001, 0.5)
    for optimizer, reason in [
        ({"name": "sgd", "tuned": "nope"}, "no tuned configuration"),
        ({"name": "sam", "tuned": "sgd-digits-sgd"}, "tunes sgd, not sam"),
    ]:
        response = client.post(
            f"{API}/experiments", json={**SPEC, "optimizers": [optimizer]}, headers=headers
        )
        assert response.status_code == 422 and reason in response.text
        assert response.json()["detail"][0]["loc"] == ["body", "optimizers", 0, "tuned"]
