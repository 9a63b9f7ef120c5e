"""Checkpoints and kept models as files: a real digits trajectory in this process, against
PostgreSQL and a real artifact store (a local directory, or moto's S3 server).

What must hold: the kept weights are exactly Set A ∪ Set B at the spec's L; the
checkpoint goes when the run finishes; a corrupt or missing checkpoint restarts the
trajectory from scratch with a note; a superseded attempt writes nothing; an unreachable
store fails the run (worker) or answers 503 (API); deleting an experiment deletes its
files; a downloaded Set A model reloads through the client with its record's accuracy.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import torch
from fastapi.testclient import TestClient
from safetensors import safe_open

from api.app import create_app
from optbench_client import Client
from shared.accounts import create_token
from shared.artifacts import ArtifactStore, artifact_store
from shared.artifacts.keeping import RecordScore, steps_to_keep
from shared.artifacts.trajectory import AttemptSuperseded
from shared.config import Settings, get_settings
from shared.db.base import utcnow
from shared.db.models import KeptModel, Run, Status
from shared.db.session import session_factory, session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from shared.stats.populations import set_a, set_b
from shared.tasks.registry import build_task
from tests.artifacts.conftest import s3_server  # noqa: F401  (fixture)
from tests.platform.conftest import Tokens, run_records
from worker import training
from worker.lifecycle import claim_run

API = "/api/v1"
SPEC = {
    "kind": "training",
    "task": "digits",
    "optimizers": [{"name": "sgd", "hyperparameters": {"lr": 0.05}}],
    "trajectories": 1,
    "budget": {"epochs": 2},
    "evaluate_every": 0.25,  # 23 steps per epoch: an evaluation every 6 steps
    "batch_size": 64,
    "population_size": 2,
    "seed": 1,
    "device": "cpu",
}


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so no handler records it."""


def new_run(url: str, **changes) -> tuple[int, int]:
    """(experiment id, run id) of a fresh one-trajectory experiment owned by alice."""
    with session_scope(url) as session:
        user, _ = create_token(session, f"alice-{uuid.uuid4().hex[:6]}", "t")
        experiment = create_experiment(session, user, parse_spec({**SPEC, **changes}))
        return experiment.id, experiment.runs[0].id


def records_frame(url: str, run_id: int) -> pd.DataFrame:
    rows = [
        {
            "optimizer": "sgd",
            "trajectory": 0,
            "step": r.step,
            "train_loss": r.train_loss,
            "accuracy": r.metrics.get("accuracy"),
            "diverged": r.diverged,
        }
        for r in run_records(url, run_id)
    ]
    return pd.DataFrame(rows)


def kept(url: str, run_id: int) -> dict[int, KeptModel]:
    with session_scope(url) as session:
        rows = session.query(KeptModel).filter_by(run_id=run_id).all()
        session.expunge_all()
        return {k.step: k for k in rows}


def run_row(url: str, run_id: int) -> Run:
    with session_scope(url) as session:
        run = session.get(Run, run_id)
        session.expunge(run)
        return run


def kill_after(monkeypatch, evaluations: int):  # type: ignore[no-untyped-def]
    """Make the next run_training die after ``evaluations`` points; returns the undo."""
    original = training.persist_evaluations

    def dying(*args):
        persist = original(*args)
        calls = {"n": 0}

        def on_evaluation(record, checkpoint):
            persist(record, checkpoint)
            calls["n"] += 1
            if calls["n"] == evaluations:
                raise Killed

        return on_evaluation

    monkeypatch.setattr(training, "persist_evaluations", dying)
    return lambda: monkeypatch.setattr(training, "persist_evaluations", original)


def make_stale(url: str, run_id: int) -> None:
    with session_scope(url) as session:
        session.get(Run, run_id).heartbeat_at = utcnow() - timedelta(hours=1)


def comparable(url: str, run_id: int) -> list[tuple]:
    return [
        (r.step, r.train_loss, r.test_loss, r.metrics, r.gradient_evaluations)
        for r in run_records(url, run_id)
    ]


def test_population_keeps_set_a_and_set_b_and_releases_the_checkpoint(
    in_process_worker: Settings, client: TestClient, tokens: Tokens
) -> None:
    url = in_process_worker.database_url
    sessions = session_factory(url)
    experiment_id, run_id = new_run(url)
    assert training.run_training(sessions, run_id) == "succeeded"

    records = records_frame(url, run_id)
    candidates = records[records["step"] > 0]
    wanted = set(set_a(candidates, 2)["step"]) | set(set_b(candidates, 2, "accuracy")["step"])
    models = kept(url, run_id)
    assert set(models) == wanted and 2 <= len(wanted) <= 4 and 0 not in models
    run = run_row(url, run_id)
    assert run.checkpoint_key is None and run.checkpoint_size is None
    store = artifact_store(in_process_worker)
    assert store.list_keys() == sorted(m.key for m in models.values())
    for model in models.values():
        data = (Path(store.root) / model.key).read_bytes()
        assert hashlib.sha256(data).hexdigest() == model.sha256 and len(data) == model.size
        assert f"/runs/{run_id}/attempt-1/models/" in model.key

    headers = Tokens.header(tokens.alice)
    view = client.get(f"{API}/experiments/{experiment_id}", headers=headers).json()
    assert view["kept_models"] == len(models)
    assert view["stored_bytes"] == sum(m.size for m in models.values())
    listing = client.get(f"{API}/experiments/{experiment_id}/models", headers=headers).json()
    assert [m["step"] for m in listing["items"]] == sorted(models)
    assert listing["stored_bytes"] == view["stored_bytes"]


@pytest.mark.parametrize("policy", ["all", "none"])
def test_keep_all_or_none(in_process_worker: Settings, policy: str) -> None:
    url = in_process_worker.database_url
    sessions = session_factory(url)
    _, run_id = new_run(url, keep_models=policy, budget={"epochs": 1})
    assert training.run_training(sessions, run_id) == "succeeded"
    steps = {r.step for r in run_records(url, run_id)}
    assert set(kept(url, run_id)) == (steps if policy == "all" else set())


def test_keep_choice_drops_step_zero_and_records_from_divergence_on() -> None:
    records = [
        RecordScore(0, 0.01, 0.99),  # step 0: never a candidate
        RecordScore(5, 0.5, 0.6),
        RecordScore(10, 0.4, 0.7),
        RecordScore(15, 0.45, 0.5),
        RecordScore(20, None, None, diverged=True),
        RecordScore(25, 0.1, 0.9),  # after the divergence: never a candidate
    ]
    assert steps_to_keep(records, "population", 1) == {10}
    assert steps_to_keep(records, "population", 2) == {5, 10, 15}
    assert steps_to_keep(records, "all", 1) == {0, 5, 10, 15, 25}
    assert steps_to_keep(records, "none", 1) == set()
    ties = [RecordScore(5, 0.3, 0.5), RecordScore(10, 0.3, 0.5), RecordScore(15, 0.9, 0.1)]
    assert steps_to_keep(ties, "population", 1) == {5}  # ties go to the earlier step


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_damaged_checkpoint_restarts_from_scratch_with_a_note(
    in_process_worker: Settings, monkeypatch, damage: str
) -> None:
    url = in_process_worker.database_url
    sessions = session_factory(url)
    _, reference = new_run(url)
    assert training.run_training(sessions, reference) == "succeeded"
    _, run_id = new_run(url)
    revive = kill_after(monkeypatch, 4)
    with pytest.raises(Killed):
        training.run_training(sessions, run_id)
    revive()
    run = run_row(url, run_id)
    path = Path(artifact_store(in_process_worker).root) / run.checkpoint_key
    if damage == "corrupt":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF  # same size, one byte flipped
        path.write_bytes(bytes(data))
    else:
        path.unlink()
    make_stale(url, run_id)

    assert training.run_training(sessions, run_id) == "succeeded"
    run = run_row(url, run_id)
    reason = "failed its checksum" if damage == "corrupt" else "is missing from the artifact store"
    assert reason in run.log and "restarted from the beginning" in run.log
    assert run.attempts == 2 and run.status == Status.succeeded
    assert comparable(url, run_id) == comparable(url, reference)  # no duplicates, same values
    assert set(kept(url, run_id)) == set(kept(url, reference))


def test_a_superseded_attempt_cannot_overwrite_the_newer_checkpoint(
    in_process_worker: Settings, monkeypatch
) -> None:
    url = in_process_worker.database_url
    sessions = session_factory(url)
    experiment_id, run_id = new_run(url)
    revive = kill_after(monkeypatch, 3)
    with pytest.raises(Killed):
        training.run_training(sessions, run_id)
    revive()
    first = run_row(url, run_id)
    make_stale(url, run_id)
    claimed = claim_run(sessions, run_id)  # a second worker takes the run over (attempt 2)
    assert not isinstance(claimed, str) and claimed[0].attempts == 2

    spec = parse_spec({**SPEC})
    zombie = training.trajectory_artifacts(sessions, spec, first, experiment_id, 10)  # attempt 1
    persist = training.persist_evaluations(sessions, run_id, experiment_id, None, zombie)
    with pytest.raises(AttemptSuperseded):
        persist(SimpleNamespace(step=999), b"stale weights")
    run = run_row(url, run_id)
    assert run.checkpoint_key == first.checkpoint_key  # untouched
    store = artifact_store(in_process_worker)
    assert not any("checkpoint-000000999" in key for key in store.list_keys())


def test_an_unreachable_store_fails_the_run_with_a_clear_message(
    in_process_worker: Settings, monkeypatch
) -> None:
    url = in_process_worker.database_url
    sessions = session_factory(url)
    _, run_id = new_run(url)
    for name, value in {
        "OPTBENCH_ARTIFACT_URL": "s3://nowhere/lab",
        "OPTBENCH_ARTIFACT_ENDPOINT_URL": "http://127.0.0.1:9",
        "OPTBENCH_ARTIFACT_RETRIES": "2",
        "OPTBENCH_ARTIFACT_RETRY_SECONDS": "0",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    assert training.run_training(sessions, run_id) == "failed"
    run = run_row(url, run_id)
    assert run.status == Status.failed
    assert "artifact store s3://nowhere/lab unavailable" in run.error
    assert "after 2 attempts" in run.error and "\n" not in run.error


def test_download_reload_404_and_delete(
    in_process_worker: Settings, client: TestClient, tokens: Tokens, monkeypatch
) -> None:
    url = in_process_worker.database_url
    sessions = session_factory(url)
    experiment_id, run_id = new_run(url)
    assert training.run_training(sessions, run_id) == "succeeded"
    headers = Tokens.header(tokens.alice)
    base = f"{API}/experiments/{experiment_id}"

    populations = client.get(f"{base}/populations", params={"which": "A"}, headers=headers)
    member = populations.json()["optimizers"]["sgd"]["models"][0]
    step = member["step"]
    response = client.get(f"{base}/models/sgd/0/{step}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    assert hashlib.sha256(response.content).hexdigest() == response.headers["x-checksum-sha256"]

    api = Client("http://testserver", tokens.alice)
    api.http = TestClient(
        client.app, base_url="http://testserver/api/v1", headers=headers
    )  # the client's own code, over the in-process app
    model = api.load_model(experiment_id, "sgd", 0, step)
    assert isinstance(model, torch.nn.Module) and not model.training
    # without PyTorch: the same weights as numpy arrays, and what the server stored
    weights, metadata, _ = api.download_model(experiment_id, "sgd", 0, step)
    assert weights.keys() == model.state_dict().keys()
    for name, tensor in model.state_dict().items():
        assert (weights[name] == tensor.numpy()).all(), name
    assert metadata["task"] == "digits" and metadata["num_labels"] == 10
    data = build_task("digits").load()
    inputs, targets = data.test.tensors
    with torch.no_grad():
        accuracy = (model(inputs).argmax(dim=-1) == targets).double().mean().item()
    record = next(r for r in run_records(url, run_id) if r.step == step)
    assert accuracy == pytest.approx(record.metrics["accuracy"], abs=1e-9)

    not_kept = next(r.step for r in run_records(url, run_id) if r.step not in kept(url, run_id))
    missing = client.get(f"{base}/models/sgd/0/{not_kept}", headers=headers)
    assert missing.status_code == 404 and "were not kept" in missing.json()["detail"]
    assert "L = 2" in missing.json()["detail"]
    assert client.get(f"{base}/models/sgd/7/{step}", headers=headers).status_code == 404
    assert (
        client.get(f"{base}/models/sgd/0/3", headers=headers)
        .json()["detail"]
        .endswith("has no evaluated model at step 3")
    )

    # optbench models download, through the same client
    from typer.testing import CliRunner

    from cli.main import app
    from optbench_client.cli import models as models_cli

    monkeypatch.setattr(models_cli, "make_client", lambda url, token: api)
    out = in_process_worker.home / "set-a"
    result = CliRunner().invoke(
        app, ["models", "download", str(experiment_id), "--set", "A", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    set_a_steps = {m["step"] for m in populations.json()["optimizers"]["sgd"]["models"]}
    assert {p.name for p in out.iterdir()} == {
        f"experiment-{experiment_id}-sgd-0-step-{s}.safetensors" for s in set_a_steps
    }
    listing = CliRunner().invoke(app, ["models", "list", str(experiment_id)])
    assert listing.exit_code == 0 and f"{len(kept(url, run_id))} kept models" in listing.output
    one = CliRunner().invoke(
        app,
        [
            *("models", "download", str(experiment_id), "--optimizer", "sgd"),
            *("--trajectory", "0", "--step", str(not_kept), "--out", str(out)),
        ],
    )
    assert one.exit_code == 2 and "no kept model matches" in one.stderr

    store = artifact_store(in_process_worker)
    assert store.list_keys(f"experiments/{experiment_id}/")
    admin = Tokens.header(tokens.admin)  # the experiment's owner is another user
    assert client.delete(base, headers=admin).status_code == 204
    assert store.list_keys(f"experiments/{experiment_id}/") == []


def test_an_unreachable_store_answers_503(in_process_worker: Settings, tokens: Tokens) -> None:
    url = in_process_worker.database_url
    sessions = session_factory(url)
    experiment_id, run_id = new_run(url)
    assert training.run_training(sessions, run_id) == "succeeded"
    step = min(kept(url, run_id))
    broken = in_process_worker.model_copy(
        update={
            "artifact_url": "s3://nowhere/lab",
            "artifact_endpoint_url": "http://127.0.0.1:9",
            "artifact_retries": 1,
        }
    )
    client = TestClient(create_app(broken))
    headers = Tokens.header(tokens.alice)
    base = f"{API}/experiments/{experiment_id}"
    response = client.get(f"{base}/models/sgd/0/{step}", headers=headers)
    assert response.status_code == 503
    assert response.json()["detail"] == "the artifact store is unavailable; retry shortly"
    assert client.delete(base, headers=Tokens.header(tokens.admin)).status_code == 503
    assert client.get(base, headers=headers).status_code == 200  # nothing was deleted


def test_trajectory_on_an_s3_store(
    in_process_worker: Settings,
    s3_server,  # noqa: F811
    monkeypatch,
    tokens: Tokens,
) -> None:
    bucket = s3_server.bucket(f"lab-{uuid.uuid4().hex[:8]}")
    for name, value in {
        "OPTBENCH_ARTIFACT_URL": f"s3://{bucket}/optbench",
        "OPTBENCH_ARTIFACT_ENDPOINT_URL": s3_server.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    url = in_process_worker.database_url
    sessions = session_factory(url)
    experiment_id, run_id = new_run(url)
    revive = kill_after(monkeypatch, 3)
    with pytest.raises(Killed):
        training.run_training(sessions, run_id)
    revive()
    store = ArtifactStore(f"s3://{bucket}/optbench", s3_server.options)
    checkpoint = run_row(url, run_id).checkpoint_key
    assert checkpoint in store.list_keys() and "/attempt-1/" in checkpoint
    make_stale(url, run_id)
    assert training.run_training(sessions, run_id) == "succeeded"
    run = run_row(url, run_id)
    assert run.log is None and run.checkpoint_key is None  # resumed, then released
    models = kept(url, run_id)
    assert store.list_keys() == sorted(m.key for m in models.values()) and models

    s3_client = TestClient(
        create_app(
            in_process_worker.model_copy(
                update={
                    "artifact_url": f"s3://{bucket}/optbench",
                    "artifact_endpoint_url": s3_server.endpoint_url,
                }
            )
        )
    )
    step = min(models)
    response = s3_client.get(
        f"{API}/experiments/{experiment_id}/models/sgd/0/{step}",
        headers=Tokens.header(tokens.alice),
    )
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == models[step].sha256
    path = Path(in_process_worker.home) / "downloaded.safetensors"
    path.write_bytes(response.content)
    with safe_open(str(path), framework="pt") as file:
        assert "optbench" in (file.metadata() or {})
