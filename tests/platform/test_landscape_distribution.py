"""The distribution endpoint as a user meets it: basins, paired tests, sweeps, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.db.models import Run
from shared.db.session import session_factory, session_scope
from shared.landscapes.study import stationary_distribution, summarize
from tests.platform.conftest import Tokens
from tests.platform.test_results_cli import api  # noqa: F401  (the CLI-to-API fixture)
from worker.landscape import run_landscape

API = "/api/v1"
SWEEP = {
    "kind": "landscape",
    "functions": ["himmelblau"],
    "optimizers": ["sam", {"name": "nig_sgd", "sweep": {"rho": [1, 5, 20, 50]}}],
    "restarts": 200,
    "iterations": 1500,
    "path_points": 0,
}


def run_experiment(client, settings, token: str, spec: dict) -> int:
    sessions = session_factory(settings.database_url)
    response = client.post(f"{API}/experiments", json=spec, headers=Tokens.header(token))
    assert response.status_code == 202, response.text
    experiment_id = response.json()["id"]
    with session_scope(settings.database_url) as session:
        runs = session.scalars(select(Run.id).where(Run.experiment_id == experiment_id)).all()
    for run in runs:
        assert run_landscape(sessions, run) == "succeeded"
    return experiment_id


def test_a_sweep_over_four_values_gives_four_configurations(
    client, tokens, settings, in_process_worker
) -> None:
    headers = Tokens.header(tokens.alice)
    experiment_id = run_experiment(client, settings, tokens.alice, SWEEP)
    state = client.get(f"{API}/experiments/{experiment_id}", headers=headers).json()
    keys = ["sam"] + [f"nig_sgd@rho={v}" for v in (1, 5, 20, 50)]
    assert state["runs"] == {"succeeded": 5}
    assert [o["label"] or o["name"] for o in state["spec"]["optimizers"]] == keys
    answer = client.get(f"{API}/experiments/{experiment_id}/distribution", headers=headers)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["assignment"] == "basin"
    (function,) = data["functions"]
    entries = {o["optimizer"]: o for o in function["optimizers"]}
    assert list(entries) == keys
    assert entries["nig_sgd@rho=20"]["hyperparameters"]["rho"] == 20
    assert entries["nig_sgd@rho=20"]["sweep"] == {"of": "nig_sgd", "values": {"rho": 20.0}}
    (series,) = function["sweeps"]
    assert series["of"] == "nig_sgd" and series["parameters"] == ["rho"]
    assert [p["values"]["rho"] for p in series["points"]] == [1, 5, 20, 50]
    for point in series["points"]:
        assert point["fractions"] == entries[point["optimizer"]]["fractions"]
        assert point["intervals"] == entries[point["optimizer"]]["intervals"]
    # SAM at its defaults: its 2-cycle around the sharpest minimum is that minimum's.
    sam = entries["sam"]
    assert sam["counts"]["else"] <= 2
    assert sum(sam["converged"].values()) < 200  # …though not all settled within 0.1
    radius = client.get(
        f"{API}/experiments/{experiment_id}/distribution",
        params={"assignment": "radius"},
        headers=headers,
    ).json()
    assert radius["assignment"] == "radius"
    sam_radius = radius["functions"][0]["optimizers"][0]
    assert sam_radius["counts"]["else"] == 200 - sum(sam["converged"].values()) > 2


def test_the_api_summary_is_the_librarys(client, tokens, settings, in_process_worker) -> None:
    spec = {**SWEEP, "optimizers": ["sgd", "sam", "nim_mbh"], "restarts": 120, "seed": 3}
    experiment_id = run_experiment(client, settings, tokens.alice, spec)
    data = client.get(
        f"{API}/experiments/{experiment_id}/distribution", headers=Tokens.header(tokens.alice)
    ).json()
    local = {
        name: stationary_distribution(
            "himmelblau", name, restarts=120, iterations=1500, seed=3, capture_radius=0.1
        )
        for name in ("sgd", "sam", "nim_mbh")
    }
    expected = summarize(local)
    function = data["functions"][0]
    for entry, summary in zip(function["optimizers"], expected.optimizers, strict=True):
        assert entry["counts"] == summary.counts
        assert entry["converged"] == summary.converged
    assert len(function["tests"]) == 3
    for pair, summary in zip(function["tests"], expected.pairs, strict=True):
        assert (pair["a"], pair["b"]) == (summary.a, summary.b)
        assert pair["pvalue"] == pytest.approx(summary.pvalue)
        assert pair["pvalue_holm"] == pytest.approx(summary.pvalue_holm)
        assert pair["agreement"] == pytest.approx(summary.agreement)
        assert pair["paired"]["method"] == summary.paired.method
        assert pair["paired"]["pvalue"] == pytest.approx(summary.paired.pvalue)
        assert pair["paired_pvalue_holm"] == pytest.approx(summary.paired_pvalue_holm)


@pytest.mark.parametrize(
    ("optimizer", "expected"),
    [
        ({"name": "nig_sgd", "sweep": {"rho": [1, "big", "huge"]}}, "invalid values 'big', 'huge'"),
        ({"name": "nig_sgd", "sweep": {"tau": [1, 2]}}, "sweep.tau"),
        ({"name": "nig_sgd", "sweep": {"rho": []}}, "non-empty list"),
        ({"name": "nig_sgd", "sweep": {"rho": [1, 1]}}, "appears twice"),
        ({"name": "nig_sgd", "hyperparameters": {"rho": 1}, "sweep": {"rho": [2]}}, "swept"),
        ({"name": "nim_bh", "sweep": {"rho": [1], "tau": [1], "eps": [1]}}, "sweep"),
    ],
)
def test_bad_sweeps_are_422_naming_them(client, tokens, optimizer: dict, expected: str) -> None:
    spec = {**SWEEP, "optimizers": [optimizer]}
    response = client.post(f"{API}/experiments", json=spec, headers=Tokens.header(tokens.alice))
    assert response.status_code == 422, response.text
    assert expected in response.text


def test_a_sweep_beyond_the_configuration_cap_is_422(client, tokens, settings) -> None:
    assert settings.max_configurations == 64
    spec = {
        **SWEEP,
        "optimizers": [
            {
                "name": "nim_bh",
                "sweep": {"rho": list(range(1, 11)), "tau": [1, *range(10, 80, 10)]},
            }
        ],
    }
    response = client.post(f"{API}/experiments", json=spec, headers=Tokens.header(tokens.alice))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any(
        d["loc"][-1] == "configurations" and "80 is over this server's limit of 64" in d["msg"]
        for d in detail
    ), detail


def test_a_bad_assignment_is_422(client, tokens, settings, in_process_worker) -> None:
    spec = {**SWEEP, "optimizers": ["sgd"], "restarts": 5, "iterations": 10}
    experiment_id = run_experiment(client, settings, tokens.alice, spec)
    response = client.get(
        f"{API}/experiments/{experiment_id}/distribution",
        params={"assignment": "nearest"},
        headers=Tokens.header(tokens.alice),
    )
    assert response.status_code == 422 and "assignment" in response.text


TRAINING_SWEEP = {
    "kind": "training",
    "task": "digits",
    "optimizers": ["sgd", {"name": "nig_sgd", "sweep": {"rho": [0.5, 1, 2, 4]}}],
    "trajectories": 3,
    "budget": {"epochs": 12},
    "evaluate_every": 1.0,
    "population_size": 3,
}


@pytest.mark.usefixtures("api")
def test_a_training_sweep_gives_the_set_a_median_per_value(
    client, tokens, settings, tmp_path
) -> None:
    import numpy as np
    from typer.testing import CliRunner

    from cli.main import app
    from shared.accounts import create_token
    from shared.db.models import ModelRecord, Status
    from shared.experiments import create_experiment
    from shared.spec import parse_spec

    rng = np.random.default_rng(0)
    with session_scope(settings.database_url) as session:
        user, _ = create_token(session, "dave", "t")
        experiment = create_experiment(session, user, parse_spec(TRAINING_SWEEP, stored=False))
        keys = [o["label"] or o["name"] for o in experiment.spec["optimizers"]]
        for run in experiment.runs:
            run.status = Status.succeeded
            rho = float(run.optimizer.partition("=")[2] or 0)
            for step in range(13):
                accuracy = 0.9 - 0.02 * rho - 0.5 * np.exp(-step / 3) + rng.normal(0, 0.01)
                session.add(
                    ModelRecord(
                        run_id=run.id,
                        step=step * 10,
                        epoch=float(step),
                        gradient_evaluations=step * 10,
                        loss_evaluations=0,
                        wall_time=float(step),
                        train_loss=2.0 * np.exp(-step / 4) + 0.1 + rng.normal(0, 0.01),
                        running_loss=None,
                        test_loss=0.5,
                        metrics={"accuracy": accuracy, "macro_f1": accuracy},
                        diverged=False,
                    )
                )
        experiment.status = Status.succeeded
        session.flush()
        experiment_id = experiment.id
    assert keys == ["sgd"] + [f"nig_sgd@rho={v:g}" for v in (0.5, 1, 2, 4)]
    headers = Tokens.header(tokens.alice)
    answer = client.get(f"{API}/experiments/{experiment_id}/sweep", headers=headers)
    assert answer.status_code == 200, answer.text
    (series,) = answer.json()["sweeps"]
    assert series["of"] == "nig_sgd" and [p["values"]["rho"] for p in series["points"]] == [
        0.5,
        1,
        2,
        4,
    ]
    medians = [p["median"] for p in series["points"]]
    assert medians == sorted(medians, reverse=True)  # accuracy falls as ρ grows
    for point in series["points"]:
        low, high = point["interval"]
        assert low <= point["median"] <= high and point["trajectories"] == 3
    bad = client.get(f"{API}/experiments/{experiment_id}/sweep", params={"L": 50}, headers=headers)
    assert bad.status_code == 422 and "L" in bad.text
    # The report plots it: Set A median with its interval against ρ.
    report = CliRunner().invoke(app, ["report", str(experiment_id), "--out", str(tmp_path)])
    assert report.exit_code == 0, report.output
    png = tmp_path / "sweep.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_the_polish_is_kept_across_radii_of_a_finished_experiment(
    client, tokens, settings, in_process_worker, monkeypatch
) -> None:
    import api.services.distribution as service

    spec = {**SWEEP, "optimizers": ["sgd", "sam"], "restarts": 50, "iterations": 500}
    experiment_id = run_experiment(client, settings, tokens.alice, spec)
    calls = []
    real = service.polish
    monkeypatch.setattr(service, "polish", lambda *a, **k: calls.append(1) or real(*a, **k))
    url, headers = f"{API}/experiments/{experiment_id}/distribution", Tokens.header(tokens.alice)
    wide = client.get(url, params={"capture_radius": 5}, headers=headers).json()
    narrow = client.get(url, params={"capture_radius": 0.01}, headers=headers).json()
    assert len(calls) == 1  # one polish per function, reused for the second radius
    sam_wide, sam_narrow = (
        wide["functions"][0]["optimizers"][1],
        narrow["functions"][0]["optimizers"][1],
    )
    assert sam_wide["counts"] == sam_narrow["counts"]  # basins do not depend on the radius
    assert sum(sam_wide["converged"].values()) > sum(sam_narrow["converged"].values())


def test_the_distribution_is_computed_without_holding_a_database_connection(
    client, tokens, settings, in_process_worker, monkeypatch
) -> None:
    import api.services.distribution as service
    from shared.db.session import engine_for

    spec = {**SWEEP, "optimizers": ["sgd"], "restarts": 20, "iterations": 200}
    experiment_id = run_experiment(client, settings, tokens.alice, spec)
    real, held = service.summarize_distribution, []

    def observed(*args, **kwargs):  # type: ignore[no-untyped-def]
        held.append(engine_for(settings.database_url).pool.checkedout())
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "summarize_distribution", observed)
    response = client.get(
        f"{API}/experiments/{experiment_id}/distribution", headers=Tokens.header(tokens.alice)
    )
    assert response.status_code == 200, response.text
    assert held and set(held) == {0}
