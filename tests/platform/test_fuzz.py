"""Property-based fuzzing of every operation in the OpenAPI schema (schemathesis):
whatever a client sends, the server never answers 5xx, and what it answers matches
the documented response schema.

(Driven through Hypothesis directly: schemathesis' pytest plugin does not load under
the pytest this project pins.)"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api.app import create_app
from tests.platform.conftest import Tokens

CHECKS = [not_a_server_error, response_schema_conformance]


def operations(settings):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(settings))
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(operation, headers: dict[str, str], examples: int) -> None:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("authenticated", [True, False], ids=["with-token", "anonymous"])
def test_no_server_errors_and_documented_responses(settings, tokens, authenticated) -> None:
    headers = Tokens.header(tokens.alice) if authenticated else {}
    fuzzed = operations(settings)
    assert len(fuzzed) >= 12
    for operation in fuzzed:
        fuzz(operation, headers, examples=60 if authenticated else 15)
