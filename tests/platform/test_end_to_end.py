"""End to end: a spec goes in over HTTP, a real worker process computes it, and the
stationary distribution the API returns is the one the library computes directly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from optbench_client import Client
from shared.landscapes.study import stationary_distribution
from shared.spec import parse_spec
from tests.platform.conftest import ROOT, Tokens, free_port, start_worker, stop, wait_until

API = "/api/v1"
SPEC = {
    "kind": "landscape",
    "name": "end to end",
    "functions": ["himmelblau", "six_hump_camel"],
    "optimizers": [
        "sgd",
        "nim_mbh",
        {"name": "sam", "label": "sam-wide", "hyperparameters": {"rho": 0.2}},
    ],
    "restarts": 120,
    "iterations": 800,
    "seed": 7,
}


def assert_matches_library(distribution: dict) -> None:
    spec = parse_spec(SPEC)
    assert [f["function"] for f in distribution["functions"]] == spec.functions
    for entry in distribution["functions"]:
        for stored, configured in zip(entry["optimizers"], spec.optimizers, strict=True):
            direct = stationary_distribution(
                entry["function"],
                configured.name,
                restarts=spec.restarts,
                iterations=spec.iterations,
                overrides={configured.name: configured.hyperparameters},
                seed=spec.seed,
                capture_radius=spec.capture_radius,
            )
            assert stored["optimizer"] == configured.key
            assert stored["counts"] == direct.counts
            intervals = direct.intervals()
            for label, (low, high) in stored["intervals"].items():
                assert (low, high) == pytest.approx((intervals[label].low, intervals[label].high))
        assert len(entry["tests"]) == 3  # every pair of the three optimizers


@pytest.fixture
def redis_worker(settings):
    worker = start_worker(
        {
            "OPTBENCH_DATABASE_URL": settings.database_url,
            "OPTBENCH_BROKER_URL": settings.broker_url,
            "OPTBENCH_HOME": str(settings.home),
        }
    )
    yield worker
    stop(worker)


def test_postgres_redis_and_a_celery_worker(client, tokens, redis_worker) -> None:
    headers = Tokens.header(tokens.alice)
    response = client.post(f"{API}/experiments", json=SPEC, headers=headers)
    assert response.status_code == 202
    experiment_id = response.json()["id"]
    url = f"{API}/experiments/{experiment_id}"

    def finished() -> dict | None:
        state = client.get(url, headers=headers).json()
        return state if state["status"] in ("succeeded", "failed", "cancelled") else None

    state = wait_until(finished, timeout=120)
    assert state["status"] == "succeeded", client.get(f"{url}/runs", headers=headers).json()
    assert state["progress"] == 1.0 and state["runs"] == {"succeeded": 6}
    runs = client.get(f"{url}/runs", headers=headers).json()
    assert all(r["attempts"] == 1 and r["progress"] == 1.0 for r in runs)
    assert_matches_library(client.get(f"{url}/distribution", headers=headers).json())

    # Re-classifying at query time: a huge capture radius leaves nothing in `else`.
    wide = client.get(f"{url}/distribution", params={"capture_radius": 50}, headers=headers).json()
    assert all(o["counts"]["else"] == 0 for f in wide["functions"] for o in f["optimizers"])
    points = client.get(
        f"{url}/end-points", params={"function": "himmelblau", "paths": True}, headers=headers
    ).json()
    assert len(points["optimizers"]["sgd"]["end_points"]) == 120
    assert len(points["optimizers"]["sgd"]["paths"]) == 20  # downsampled by default
    every = client.get(
        f"{url}/end-points",
        params={"function": "himmelblau", "paths": True, "path_points": 50},
        headers=headers,
    ).json()
    assert len(every["optimizers"]["sgd"]["paths"]) == 50  # all the stored snapshots


def test_cancelling_stops_queued_and_running_runs(client, tokens, redis_worker) -> None:
    headers = Tokens.header(tokens.alice)
    long = {**SPEC, "restarts": 4000, "iterations": 100_000}
    experiment_id = client.post(f"{API}/experiments", json=long, headers=headers).json()["id"]
    url = f"{API}/experiments/{experiment_id}"
    wait_until(lambda: client.get(url, headers=headers).json()["runs"].get("running"))
    client.post(f"{url}/cancel", headers=headers)
    state = wait_until(
        lambda: (s := client.get(url, headers=headers).json())["status"] == "cancelled" and s,
        timeout=60,
    )
    assert state["runs"] == {"cancelled": 6}


@pytest.fixture
def embedded(tmp_path: Path):
    """`optbench serve` as a user starts it: no database or broker configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTBENCH_")}
    env["OPTBENCH_HOME"] = str(tmp_path / "home")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=60)
        yield url, env, server
    finally:
        stop(server)


def test_embedded_mode_same_code_paths(embedded) -> None:
    url, env, server = embedded
    first_lines = [server.stdout.readline() for _ in range(2)]
    assert url in first_lines[0]
    token = Path(env["OPTBENCH_HOME"], "token").read_text().strip()
    assert token in first_lines[1]
    assert (Path(env["OPTBENCH_HOME"]) / "optbench.db").exists()

    client = Client(url, token)
    experiment_id = client.submit(SPEC)
    assert client.wait(experiment_id, timeout=120).status == "succeeded"
    assert_matches_library(client.distribution(experiment_id).model_dump(exclude_unset=True))
    frame = client.distribution_frame(experiment_id)
    assert set(frame["optimizer"]) == {"sgd", "nim_mbh", "sam-wide"}
    assert frame.filter(like="counts.").sum(axis=1).eq(120).all()

    # The CLI finds the local token by itself.
    spec_file = Path(env["OPTBENCH_HOME"]) / "spec.yaml"
    spec_file.write_text(
        "kind: landscape\nfunctions: [himmelblau]\noptimizers: [sgd]\n"
        "restarts: 50\niterations: 500\n"
    )
    cli_env = {**env, "OPTBENCH_URL": url}
    submitted = subprocess.run(
        [sys.executable, "-m", "cli.main", "submit", str(spec_file), "--wait"],
        cwd=ROOT,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert submitted.returncode == 0, submitted.stderr
    new_id = submitted.stdout.strip().splitlines()[0]
    shown = subprocess.run(
        [sys.executable, "-m", "cli.main", "results", new_id],
        cwd=ROOT,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0 and "himmelblau" in shown.stdout and "G1" in shown.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "cli.main", "status", "999"],
        cwd=ROOT,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "HTTP 404" in missing.stderr

    # A second start reuses the database and the token.
    stop(server)
    restarted = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(free_port()), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        restarted.stdout.readline()
        assert token in restarted.stdout.readline()
    finally:
        stop(restarted)
