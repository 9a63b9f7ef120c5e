"""Every JSON GET answers its documented model on real data: a finished training
experiment with records and a finished landscape experiment (a field a route adds
without its model is a 500 here, not a dropped key)."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from shared.config import Settings
from tests.platform.conftest import Tokens
from tests.platform.test_results_cli import landscape_experiment, training_experiment

API = "/api/v1"


def template(url: str) -> str:
    """The OpenAPI path of a concrete URL."""
    path = url.split("?")[0]
    path = re.sub(r"/experiments/\d+", "/experiments/{experiment_id}", path)
    return re.sub(r"/functions/[a-z_]+/grid", "/functions/{name}/grid", path)


@pytest.fixture
def answers(settings: Settings):  # type: ignore[no-untyped-def]
    training = training_experiment(settings.database_url)
    landscape = landscape_experiment(settings.database_url)
    client = TestClient(create_app(settings))
    headers = Tokens.header(Tokens(settings.database_url).alice)
    document = client.get(f"{API}/openapi.json").json()
    t, e = f"{API}/experiments/{training}", f"{API}/experiments/{landscape}"
    urls = [
        f"{API}/leaderboard?task=digits",
        f"{API}/experiments",
        t,
        f"{t}/runs",
        f"{t}/records",
        f"{t}/populations?which=B",
        f"{t}/set-comparison",
        f"{t}/optimizer-comparison",
        f"{t}/learning-curves",
        f"{t}/plan",
        f"{t}/sweep",
        f"{t}/view",
        f"{t}/models",
        f"{e}/distribution",
        f"{e}/end-points?function=six_hump_camel&paths=true",
        f"{API}/optimizers",
        f"{API}/functions",
        f"{API}/functions/himmelblau/grid?size=10",
        f"{API}/tasks",
        f"{API}/spec-schema",
        f"{API}/tuned",
        f"{API}/me",
    ]
    paths = {url: template(url) for url in urls}
    return client, headers, document, paths


def test_every_answer_matches_its_documented_schema(answers) -> None:
    client, headers, document, paths = answers
    for url, path in paths.items():
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text[:500])
        schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
        validator = jsonschema_rs.validator_for({**schema, "components": document["components"]})
        errors = [str(e) for e in validator.iter_errors(response.json())]
        assert errors == [], (url, errors[:3])
    board = client.get(f"{API}/leaderboard?task=digits", headers=headers).json()
    assert len(board["entries"]) == 2 and board["entries"][0]["rank"] == 1
