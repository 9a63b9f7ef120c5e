"""Task options at the API: typed and validated at submission (422 naming
``task_options.<name>``), paths kept inside the data root, downloads only where the server
permits them; the catalog and the spec schema show the options; a missing dataset fails
the run with one line naming the path relative to the root."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from shared.config import Settings
from shared.db.session import session_factory
from tests.platform.conftest import Tokens
from tests.tasks.formats import write_cifar10
from worker import training

API = "/api/v1"
SPEC = {
    "kind": "training",
    "task": "mnist1d",
    "optimizers": ["sgd"],
    "trajectories": 1,
    "budget": {"epochs": 1},
    "evaluate_every": 0.5,
    "population_size": 1,
}


def submit(client: TestClient, tokens: Tokens, **changes: object):  # type: ignore[no-untyped-def]
    return client.post(
        f"{API}/experiments", json={**SPEC, **changes}, headers=Tokens.header(tokens.alice)
    )


def issues(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """``task_options.<name>`` → message, for a 422 answer."""
    assert response.status_code == 422, response.text
    found = {}
    for issue in response.json()["detail"]:
        loc = [str(p) for p in issue["loc"] if p not in ("body", "training")]
        found[".".join(loc)] = issue["msg"]
    return found


@pytest.mark.parametrize(
    ("task", "options", "field", "reason"),
    [
        ("mnist1d", {"num_samples": -5}, "num_samples", "greater than or equal to 100"),
        ("mnist1d", {"architecture": "rnn"}, "architecture", "'mlp' or 'cnn'"),
        ("mnist1d", {"data_seed": "soon"}, "data_seed", "valid integer"),
        ("digits", {"colour": 1}, "colour", "not an option of digits; valid ones: split_seed"),
        ("cifar10", {"data_dir": "/etc"}, "data_dir", "not an absolute one"),
        ("cifar10", {"data_dir": "../etc"}, "data_dir", "must not contain '..'"),
        ("goemotions", {"model": "/srv/models/bert"}, "model", "not an absolute one"),
        ("tweeteval", {"subtask": "../../etc"}, "subtask", "'emoji', 'emotion'"),
    ],
)
def test_bad_task_options_are_422_naming_the_option(
    client, tokens, task: str, options: dict, field: str, reason: str
) -> None:
    found = issues(submit(client, tokens, task=task, task_options=options))
    assert reason in found[f"task_options.{field}"], found


def test_good_options_are_stored_parsed(client, tokens) -> None:
    response = submit(client, tokens, task_options={"num_samples": "500", "architecture": "cnn"})
    assert response.status_code == 202, response.text
    stored = client.get(response.json()["url"], headers=Tokens.header(tokens.alice)).json()
    assert stored["spec"]["task_options"] == {"num_samples": 500, "architecture": "cnn"}
    accepted = submit(client, tokens, task="cifar10", task_options={"data_dir": "cifar10-small"})
    assert accepted.status_code == 202, accepted.text


def test_links_out_of_the_data_root_are_422(client, tokens, settings: Settings) -> None:
    assert settings.data_dir is not None
    (settings.data_dir / "models").mkdir(parents=True)
    outside = write_cifar10(settings.home / "outside")
    (settings.data_dir / "cifar10").symlink_to(outside, target_is_directory=True)
    (settings.data_dir / "models" / "bert").symlink_to(outside, target_is_directory=True)
    found = issues(submit(client, tokens, task="cifar10"))  # the default directory counts too
    assert "leads outside the data root" in found["task_options.data_dir"]
    found = issues(submit(client, tokens, task="goemotions", task_options={"model": "bert"}))
    assert "'models/bert' is a link that leads outside the data root" in found["task_options.model"]
    assert str(settings.home) not in str(found)


def test_downloads_only_where_the_server_permits_them(client, tokens, settings) -> None:
    asked = {"model": "bert-base-uncased", "allow_download": True}
    found = issues(submit(client, tokens, task="goemotions", task_options=asked))
    assert "does not permit downloads" in found["task_options.allow_download"]
    permitting = TestClient(create_app(settings.model_copy(update={"allow_downloads": True})))
    assert submit(permitting, tokens, task="goemotions", task_options=asked).status_code == 202


def test_catalog_and_schema_show_the_typed_options(client, tokens) -> None:
    tasks = {
        t["name"]: t for t in client.get(f"{API}/tasks", headers=Tokens.header(tokens.alice)).json()
    }
    samples = next(o for o in tasks["mnist1d"]["options"] if o["name"] == "num_samples")
    assert samples == {
        "name": "num_samples",
        "type": "integer",
        "default": 4000,
        "description": "examples generated, 80% for training",
        "minimum": 100,
        "maximum": 100_000,
        "choices": None,
    }
    assert tasks["cifar10"]["data_directory"] == "cifar10" and tasks["cifar10"]["needs_files"]
    subtask = next(o for o in tasks["tweeteval"]["options"] if o["name"] == "subtask")
    assert subtask["default"] == "emotion" and "irony" in subtask["choices"]
    schema = client.get(f"{API}/spec-schema", headers=Tokens.header(tokens.alice)).json()
    clauses = schema["$defs"]["TrainingSpec"]["allOf"]
    mnist = next(c for c in clauses if c["if"]["properties"]["task"]["const"] == "mnist1d")
    options = mnist["then"]["properties"]["task_options"]["properties"]
    assert options["num_samples"]["minimum"] == 100


def test_a_missing_dataset_fails_the_run_with_one_line(
    client, tokens, settings, in_process_worker
) -> None:
    sessions = session_factory(settings.database_url)
    response = submit(client, tokens, task="cifar10", device="cpu")
    assert response.status_code == 202, response.text
    headers = Tokens.header(tokens.alice)
    (run,) = client.get(f"{response.json()['url']}/runs", headers=headers).json()
    assert training.run_training(sessions, run["id"]) == "failed"
    (run,) = client.get(f"{response.json()['url']}/runs", headers=headers).json()
    error = run["error"]
    assert error.startswith("cifar10: no directory cifar10/ under the data root; expected")
    assert "data_batch_1" in error and "Traceback" not in error and "\n" not in error
    assert str(settings.home) not in error


def test_a_link_made_after_submission_is_refused_by_the_worker(
    client, tokens, settings, in_process_worker
) -> None:
    sessions = session_factory(settings.database_url)
    response = submit(client, tokens, task="cifar10", device="cpu")
    assert response.status_code == 202, response.text
    outside = write_cifar10(settings.home / "outside")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "cifar10").symlink_to(outside, target_is_directory=True)
    headers = Tokens.header(tokens.alice)
    (run,) = client.get(f"{response.json()['url']}/runs", headers=headers).json()
    assert training.run_training(sessions, run["id"]) == "failed"
    (run,) = client.get(f"{response.json()['url']}/runs", headers=headers).json()
    assert (
        run["error"]
        == "task_options.data_dir: 'cifar10' is a link that leads outside the data root"
    )


def test_a_cifar10_trajectory_trains_from_the_data_root(
    client, tokens, settings, in_process_worker
) -> None:
    sessions = session_factory(settings.database_url)
    write_cifar10(settings.data_dir / "cifar10-tiny")  # 20 training, 6 test images
    spec = {
        "task": "cifar10",
        "task_options": {"data_dir": "cifar10-tiny", "cifar_stem": False},  # 16× cheaper
        "batch_size": 10,
        "device": "cpu",
        "keep_models": "none",
    }
    response = submit(client, tokens, **spec)
    assert response.status_code == 202, response.text
    headers = Tokens.header(tokens.alice)
    url = response.json()["url"]
    (run,) = client.get(f"{url}/runs", headers=headers).json()
    assert training.run_training(sessions, run["id"]) == "succeeded"
    records = client.get(f"{url}/records", headers=headers).json()
    rows = records["items"] if isinstance(records, dict) else records
    assert [r["step"] for r in rows] == [0, 1, 2]  # step 0 and every half epoch of 2 steps
    assert all(0 <= r["metrics"]["accuracy"] <= 1 for r in rows)
