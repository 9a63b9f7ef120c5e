"""The published spec schema says what validation accepts: registry names are enums,
each optimizer's hyperparameters are typed and bounded, counts are integers, and the
server's limits are the maxima. Both sides are checked on the same specs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from shared.config import Settings
from shared.landscapes.functions import LANDSCAPES
from shared.optim.declarations import OPTIMIZER_NAMES, optimizer_names
from shared.spec import parse_spec, spec_json_schema
from shared.tasks.catalog import task_names

LANDSCAPE = {"kind": "landscape", "functions": ["himmelblau"], "optimizers": ["sgd"]}

ACCEPTED = [
    LANDSCAPE,
    {**LANDSCAPE, "functions": ["six-hump-camel", "branin"]},
    {**LANDSCAPE, "optimizers": [{"name": "sam", "hyperparameters": {"lr": 0.1, "rho": 0.05}}]},
    {**LANDSCAPE, "optimizers": ["sgd", {"name": "sgd", "label": "fast", "hyperparameters": {}}]},
    {**LANDSCAPE, "optimizers": [{"name": "nig_sgd", "hyperparameters": {"noise": "gaussian"}}]},
    {**LANDSCAPE, "optimizers": ["adam", {"name": "adamw", "hyperparameters": {"amsgrad": True}}]},
    {**LANDSCAPE, "optimizers": [{"name": "rmsprop", "hyperparameters": {"centered": False}}]},
    {
        **LANDSCAPE,
        "optimizers": [
            {"name": "sam", "base": "adamw", "hyperparameters": {"rho": 0.1, "base.lr": 1e-3}}
        ],
    },
    {**LANDSCAPE, "optimizers": ["nig", {"name": "nim", "base": "adam"}]},
    {
        **LANDSCAPE,
        "optimizers": [
            {"name": "bh", "base": "adam", "hyperparameters": {"perturbation": "gradient"}}
        ],
    },
    {**LANDSCAPE, "optimizers": [{"name": "sam", "base": "adam", "sweep": {"base.lr": [0.1, 1]}}]},
]
REFUSED = [
    {**LANDSCAPE, "functions": ["Himmelblau"]},
    {**LANDSCAPE, "functions": ["himmelblau", "himmelblau"]},
    {**LANDSCAPE, "optimizers": ["lion"]},
    {**LANDSCAPE, "optimizers": [{"name": "adam", "hyperparameters": {"amsgrad": "yes"}}]},
    {**LANDSCAPE, "optimizers": [{"name": "adam", "hyperparameters": {"beta1": 1.0}}]},
    {**LANDSCAPE, "optimizers": [{"name": "adam", "base": "sgd"}]},
    {**LANDSCAPE, "optimizers": [{"name": "sam", "base": "sam"}]},
    {**LANDSCAPE, "optimizers": [{"name": "sam", "base": "nig_sgd"}]},
    {**LANDSCAPE, "optimizers": [{"name": "sam", "base": "lion"}]},
    {**LANDSCAPE, "optimizers": [{"name": "sgd", "hyperparameters": {"base.lr": 0.1}}]},
    {**LANDSCAPE, "optimizers": [{"name": "sam", "hyperparameters": {"base.lr": 0.1}}]},
    {**LANDSCAPE, "optimizers": [{"name": "bh", "hyperparameters": {"perturbation": "jump"}}]},
    {**LANDSCAPE, "optimizers": [{"name": "sgd", "hyperparameters": {"rho": 0.1}}]},
    {**LANDSCAPE, "optimizers": [{"name": "sgd", "hyperparameters": {"lr": 0}}]},
    {**LANDSCAPE, "optimizers": [{"name": "sgd", "hyperparameters": {"lr": -1.5}}]},
    {**LANDSCAPE, "optimizers": [{"name": "sgd", "hyperparameters": {"momentum": 1.0}}]},
    {**LANDSCAPE, "optimizers": [{"name": "nig_sgd", "hyperparameters": {"noise": "normal"}}]},
    {**LANDSCAPE, "path_points": False},
    {**LANDSCAPE, "restarts": "500"},
    {**LANDSCAPE, "restarts": True},
    {**LANDSCAPE, "restarts": 0},
    {"kind": "training", "task": "imagenet", "optimizers": ["sgd"]},
]


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema_rs.Draft202012Validator(spec_json_schema())


@pytest.mark.parametrize("spec", ACCEPTED)
def test_what_validation_accepts_the_schema_accepts(validator, spec: dict) -> None:
    parse_spec(spec)
    assert validator.is_valid(spec), list(validator.iter_errors(spec))


@pytest.mark.parametrize("spec", REFUSED)
def test_what_the_schema_refuses_validation_refuses(validator, spec: dict) -> None:
    assert not validator.is_valid(spec)
    with pytest.raises(ValidationError):
        parse_spec(spec, stored=False)


def test_a_stored_spec_whose_task_is_gone_stays_readable() -> None:
    """An experiment of a plugin task outlives the plugin: its spec still reads."""
    spec = {"kind": "training", "task": "uninstalled_plugin", "optimizers": ["sgd"]}
    assert parse_spec(spec).task == "uninstalled_plugin"


#: What only the server can refuse: a base's hyperparameters depend on the base named.
REFUSED_BY_VALIDATION = [
    ({"name": "sam", "base": "adamw", "hyperparameters": {"base.lr": -1}}, "base.lr"),
    ({"name": "sam", "base": "adamw", "hyperparameters": {"base.momentum": 0.9}}, "base.momentum"),
    ({"name": "nig", "base": "adam", "hyperparameters": {"base.amsgrad": 1}}, "base.amsgrad"),
]


@pytest.mark.parametrize(("entry", "field"), REFUSED_BY_VALIDATION)
def test_a_base_hyperparameter_is_checked_against_the_base(entry: dict, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_spec({**LANDSCAPE, "optimizers": [entry]})
    assert field in str(error.value)


def test_a_wrapper_is_labelled_by_its_base() -> None:
    spec = parse_spec({**LANDSCAPE, "optimizers": [{"name": "sam", "base": "adamw"}, "nig", "sam"]})
    assert [o.key for o in spec.optimizers] == ["sam(adamw)", "nig(sgd)", "sam"]
    assert [o.optimizer for o in spec.optimizers] == ["sam(adamw)", "nig(sgd)", "sam"]


def test_registry_names_are_enums() -> None:
    definitions = spec_json_schema()["$defs"]
    optimizer = definitions["OptimizerSpec"]
    names = optimizer["properties"]["name"]["enum"]
    assert names == optimizer_names()
    assert set(OPTIMIZER_NAMES) | {"adam", "adamw", "sam", "nig", "nim", "bh", "mbh"} <= set(names)
    assert [b["properties"]["name"]["const"] for b in optimizer["oneOf"]] == names
    functions = definitions["LandscapeSpec"]["properties"]["functions"]["items"]["enum"]
    assert set(LANDSCAPES) <= set(functions)
    assert definitions["TrainingSpec"]["properties"]["task"]["enum"] == task_names()


def test_an_unknown_name_still_gets_a_message_naming_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        parse_spec({**LANDSCAPE, "optimizers": ["lion"]})
    assert "optimizers" in str(error.value) and "unknown optimizer 'lion'" in str(error.value)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    home: Path = tmp_path_factory.mktemp("home")
    settings = Settings(
        environment="test",
        home=home,
        database_url=f"sqlite:///{home}/db.sqlite",
        anonymous_reads=True,
        max_restarts=777,
        max_optimizers=5,
    )
    return TestClient(create_app(settings))


def test_the_servers_limits_are_the_schemas_maxima(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    landscape = document["components"]["schemas"]["LandscapeSpec"]["properties"]
    assert landscape["restarts"]["maximum"] == 777
    assert landscape["optimizers"]["maxItems"] == 5
    assert landscape["iterations"]["maximum"] == Settings().max_iterations


def test_public_endpoints_ask_no_token_in_the_document(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert "security" not in document["paths"]["/api/v1/health"]["get"]
    assert document["paths"]["/api/v1/me"]["get"]["security"] == [{"HTTPBearer": []}]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/api/v1/experiments", "GET, POST"), ("/api/v1/experiments/3", "DELETE, GET")],
)
def test_a_405_lists_every_method_of_the_path(client: TestClient, path: str, allowed: str) -> None:
    response = client.options(path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
