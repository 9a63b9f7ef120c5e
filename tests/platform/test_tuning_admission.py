"""Bad tuning specs: each a 422 naming its field (no training runs here)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.platform.conftest import Tokens

API = "/api/v1"


def spec(optimizers=("sgd",), budget=None, **tuning) -> dict:
    return {
        "kind": "tuning",
        "task": "digits",
        "optimizers": list(optimizers),
        "budget": budget or {"epochs": 1},
        "tuning": {"trials": 4, **tuning},
    }


CASES = {
    "range outside the declared one": (
        spec(search={"sgd": {"momentum": {"low": 0.5, "high": 1.5}}}),
        ["body", "tuning", "search", "sgd", "momentum", "high"],
        "outside [0, 1)",
    ),
    "low not below high": (
        spec(search={"sgd": {"lr": {"low": 0.1, "high": 0.01}}}),
        ["body", "tuning", "search", "sgd", "lr"],
        "low must be below high",
    ),
    "a log range through zero": (
        spec(search={"sgd": {"momentum": {"low": 0, "high": 0.9, "log": True}}}),
        ["body", "tuning", "search", "sgd", "momentum", "low"],
        "log scale needs low > 0",
    ),
    "a hyperparameter the optimizer lacks": (
        spec(search={"sgd": {"rho": {"low": 0.1, "high": 1}}}),
        ["body", "tuning", "search", "sgd", "rho"],
        "sgd has no hyperparameter 'rho'",
    ),
    "an optimizer the spec lacks": (
        spec(search={"sam": {"lr": {"low": 0.1, "high": 1}}}),
        ["body", "tuning", "search", "sam"],
        "not an optimizer of this spec",
    ),
    "trials over the server's limit": (
        spec(trials=6),
        ["body", "tuning", "trials"],
        "over this server's limit of 5",
    ),
    "gradient evaluations over the server's limit": (
        {
            **spec(),
            "budget": {"gradient_evaluations": 100},
            "tuning": {"gradient_evaluations": 2000},
        },
        ["body", "tuning", "gradient_evaluations"],
        "over this server's limit of 1000",
    ),
    "an objective the task does not report": (
        spec(objective="micro_f1"),
        ["body", "tuning", "objective"],
        "digits does not report 'micro_f1'",
    ),
    "unequal budgets: equal trials, unequal gradient evaluations": (
        spec(optimizers=("sgd", "sam")),
        ["body", "tuning", "trials"],
        "unequal budgets",
    ),
    "a gradient budget over epoch-budgeted trials": (
        {**spec(), "tuning": {"gradient_evaluations": 500}},
        ["body", "tuning", "gradient_evaluations"],
        "needs each trial budgeted in gradient evaluations",
    ),
    "a choice out of range": (
        spec(search={"sgd": {"lr": {"choices": [0.1, -1]}}}),
        ["body", "tuning", "search", "sgd", "lr", "choices", 1],
        "outside (0, inf)",
    ),
}


@pytest.fixture
def limited(settings) -> TestClient:
    return TestClient(
        create_app(settings.model_copy(update={"max_trials": 5, "max_gradient_evaluations": 1000}))
    )


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_tuning_specs_name_their_field(limited, tokens, case) -> None:
    body, loc, message = CASES[case]
    answer = limited.post(f"{API}/experiments", json=body, headers=Tokens.header(tokens.alice))
    assert answer.status_code == 422, answer.text
    issues = answer.json()["detail"]
    assert [i["loc"] for i in issues] == [loc], issues
    assert message in issues[0]["msg"]


def test_both_budgets_or_none_is_refused(limited, tokens) -> None:
    headers = Tokens.header(tokens.alice)
    for tuning in ({"trials": 2, "gradient_evaluations": 100}, {}):
        body = {**spec(), "tuning": tuning}
        answer = limited.post(f"{API}/experiments", json=body, headers=headers)
        assert answer.status_code == 422
        assert "one budget for every optimizer" in answer.text


def test_the_spec_schema_shows_the_trial_limit(limited, tokens) -> None:
    schema = limited.get(f"{API}/spec-schema", headers=Tokens.header(tokens.alice)).json()
    definitions = schema.get("$defs", schema.get("definitions", {}))
    assert definitions["TuningSettings"]["properties"]["trials"]["maximum"] == 5


def test_equal_gradient_budgets_admit_sam_beside_sgd(limited, tokens) -> None:
    body = {
        **spec(optimizers=("sgd", "sam")),
        "budget": {"gradient_evaluations": 100},
        "tuning": {"gradient_evaluations": 1000},
    }
    answer = limited.post(f"{API}/experiments", json=body, headers=Tokens.header(tokens.alice))
    assert answer.status_code == 202, answer.text


def test_a_training_specs_trial_budget_is_held_to_the_servers_limits(limited, tokens) -> None:
    body = {
        "kind": "training",
        "task": "digits",
        "optimizers": ["sgd"],
        "budget": {"epochs": 2},
        "population_size": 2,
        "tuning": {"trials": 2, "trial_budget": {"gradient_evaluations": 5000}},
    }
    answer = limited.post(f"{API}/experiments", json=body, headers=Tokens.header(tokens.alice))
    assert answer.status_code == 422, answer.text
    [issue] = answer.json()["detail"]
    assert issue["loc"] == ["body", "tuning", "trial_budget", "gradient_evaluations"]
    assert "over this server's limit of 1000" in issue["msg"]
    body["tuning"]["trial_budget"] = {"epochs": 100, "gradient_evaluations": 5}
    answer = limited.post(f"{API}/experiments", json=body, headers=Tokens.header(tokens.alice))
    assert answer.status_code == 422 and "give epochs or gradient_evaluations" in answer.text
