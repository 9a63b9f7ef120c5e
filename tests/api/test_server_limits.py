"""The one table of server limits: every entry is enforced at submission, at its field,
and (where it is a field of its own) published as the maximum in the spec's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.schemas.limits import apply_server_limits
from shared.config import Settings
from shared.limits import SERVER_LIMITS, ServerLimit, is_study_limit
from shared.spec import limit_violations, parse_spec, spec_json_schema
from shared.tuning.admission import study_violations

LIMIT = 2  # every limit, on this server
LANDSCAPE = {"kind": "landscape", "functions": ["himmelblau"], "optimizers": ["sgd"]}
TRAINING = {"kind": "training", "task": "digits", "optimizers": ["sgd"], "population_size": 1}
TUNING = {"kind": "tuning", "task": "digits", "optimizers": ["sgd"], "tuning": {"trials": 1}}

#: A spec asking for one more than LIMIT of each entry's field.
OVER: dict[str, dict[str, Any]] = {
    "optimizers": {**LANDSCAPE, "optimizers": ["sgd", "adam", "rmsprop"]},
    "configurations": {
        **TRAINING,
        "optimizers": [{"name": "sgd", "sweep": {"lr": [0.1, 0.01, 0.001]}}],
    },
    "restarts": {**LANDSCAPE, "restarts": 3},
    "iterations": {**LANDSCAPE, "iterations": 3},
    "functions": {**LANDSCAPE, "functions": ["himmelblau", "branin", "rosenbrock"]},
    "trajectories": {**TRAINING, "trajectories": 3, "budget": {"epochs": 1}},
    "budget.epochs": {**TRAINING, "budget": {"epochs": 3}},
    "budget.gradient_evaluations": {**TRAINING, "budget": {"gradient_evaluations": 3}},
    "tuning.trials": {**TUNING, "budget": {"epochs": 1}, "tuning": {"trials": 3}},
    "tuning.gradient_evaluations": {
        **TUNING,
        "budget": {"gradient_evaluations": 1},
        "tuning": {"gradient_evaluations": 3},
    },
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, **{limit.setting: LIMIT for limit in SERVER_LIMITS})


def test_every_limit_has_a_case() -> None:
    assert set(OVER) == {limit.field for limit in SERVER_LIMITS}


@pytest.mark.parametrize("limit", SERVER_LIMITS, ids=lambda limit: limit.field)
def test_each_limit_is_enforced_at_its_field(limit: ServerLimit, settings: Settings) -> None:
    spec = parse_spec(OVER[limit.field], stored=False)
    assert limit.asked(spec) == LIMIT + 1
    problems = limit_violations(spec, settings)
    if is_study_limit(limit):
        problems += study_violations(spec, spec.tuning, settings)
    found = [p for p in problems if p.field == tuple(limit.field.split("."))]
    assert len(found) == 1, problems
    assert found[0].kind == "limit_exceeded"
    assert found[0].message == f"{limit.field}: 3 is over this server's limit of 2"
    assert limit_violations(spec, Settings(home=settings.home)) == []  # the default limits


@pytest.mark.parametrize(
    "limit", [x for x in SERVER_LIMITS if x.schema], ids=lambda limit: limit.field
)
def test_each_limit_is_the_published_maximum(limit: ServerLimit, settings: Settings) -> None:
    schema = spec_json_schema()
    apply_server_limits(schema["$defs"], settings)
    name = limit.field.rsplit(".", 1)[-1]
    for model in limit.schema:
        assert schema["$defs"][model]["properties"][name][limit.keyword] == LIMIT
