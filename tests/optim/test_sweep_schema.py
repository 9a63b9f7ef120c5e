"""The published schema of an optimizer entry's ``sweep`` says what validation accepts."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from shared.spec import parse_spec, spec_json_schema

BASE = {"kind": "landscape", "functions": ["himmelblau"]}
ACCEPTED = [
    [{"name": "nig_sgd", "sweep": {"rho": [1, 5, 20, 50]}}],
    [{"name": "nim_bh", "sweep": {"rho": [0.1, 0.5], "tau": [10, 100]}}],
    [{"name": "nig_sgd", "sweep": {"noise": ["ball", "gaussian"]}}],
    ["sgd", {"name": "sam", "sweep": {"rho": [0.01, 0.05]}, "hyperparameters": {"lr": 0.02}}],
]
REFUSED = [
    [{"name": "nig_sgd", "sweep": {"rho": [1, "big"]}}],  # not a number
    [{"name": "nig_sgd", "sweep": {"rho": [-1]}}],  # out of range
    [{"name": "nig_sgd", "sweep": {"tau": [1]}}],  # not its hyperparameter
    [{"name": "nig_sgd", "sweep": {"rho": []}}],
    [{"name": "nig_sgd", "sweep": {}}],
    [{"name": "nig_sgd", "sweep": {"rho": [1, 1]}}],
    [{"name": "nim_bh", "sweep": {"rho": [1], "tau": [1], "eps": [0.1]}}],  # three
    [{"name": "nig_sgd", "sweep": {"noise": ["uniform"]}}],
    [{"name": "sgd", "sweep": {"lr": list(range(1, 102))}}],  # over 100 values
]


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema_rs.Draft202012Validator(spec_json_schema())


@pytest.mark.parametrize("optimizers", ACCEPTED)
def test_sweeps_validation_accepts_the_schema_accepts(validator, optimizers: list) -> None:
    spec = {**BASE, "optimizers": optimizers}
    parse_spec(spec, stored=False)
    assert validator.is_valid(spec), list(validator.iter_errors(spec))


@pytest.mark.parametrize("optimizers", REFUSED)
def test_sweeps_the_schema_refuses_validation_refuses(validator, optimizers: list) -> None:
    spec = {**BASE, "optimizers": optimizers}
    assert not validator.is_valid(spec)
    with pytest.raises(ValidationError):
        parse_spec(spec, stored=False)
