"""The API's contract: every JSON answer has a typed schema, every route documents the
errors it can answer, and the statistics' dataclasses carry over into the schema."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest

from api.app import API_PREFIX, create_app
from api.schemas.base import Number, model_of
from shared.config import Settings
from shared.stats.comparisons import GroupComparison, PairComparison, SetComparison


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home: Path = tmp_path_factory.mktemp("home")
    settings = Settings(environment="test", home=home, database_url=f"sqlite:///{home}/db.sqlite")
    return create_app(settings).openapi()


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def operations(document: dict[str, Any]):  # type: ignore[no-untyped-def]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def typed(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A schema that says something: an object with declared properties, or an array
    whose items do."""
    schema = resolve(document, schema)
    if schema.get("type") == "array":
        return typed(document, schema.get("items", {}))
    return bool(schema.get("properties"))


def test_every_json_get_under_the_api_has_a_typed_200_schema(document) -> None:
    gets = [(p, o) for p, m, o in operations(document) if m == "get" and p.startswith(API_PREFIX)]
    answers = {path: operation["responses"]["200"].get("content", {}) for path, operation in gets}
    assert all(answers.values()), [p for p, content in answers.items() if not content]
    json_gets = {p: c["application/json"] for p, c in answers.items() if "application/json" in c}
    assert len(json_gets) >= 19
    untyped = [
        path for path, content in json_gets.items() if not typed(document, content["schema"])
    ]
    assert untyped == []


def test_routes_behind_a_token_document_their_errors(document) -> None:
    missing = []
    for path, method, operation in operations(document):
        if not path.startswith(API_PREFIX) or path.endswith("/health"):
            continue
        expected = {"401", "503"}
        if "{" in path or operation.get("parameters"):
            expected.add("422")
        if "{experiment_id}" in path:
            expected.add("404")
        if method in ("delete",) or path.endswith("/cancel"):
            expected.add("403")
        if path.endswith(("/records", "/populations", "-comparison", "/learning-curves")):
            expected.add("409")
        if path.endswith(("/distribution", "/end-points")):
            expected.add("409")
        if method == "post" and path == f"{API_PREFIX}/experiments":
            expected |= {"413", "422", "429"}
        if not expected <= set(operation["responses"]):
            missing.append((method, path, sorted(expected - set(operation["responses"]))))
    assert missing == []


def test_error_answers_have_a_model(document) -> None:
    for path, method, operation in operations(document):
        for code, response in operation["responses"].items():
            if code.startswith("4") or code.startswith("5"):
                schema = response["content"]["application/json"]["schema"]
                assert "detail" in resolve(document, schema)["properties"] or path.endswith(
                    "/health"
                ), (method, path, code)


def test_times_are_documented_with_an_offset(document) -> None:
    experiment = document["components"]["schemas"]["ExperimentOut"]["properties"]
    assert experiment["created_at"]["format"] == "date-time"


@dataclasses.dataclass(frozen=True)
class Example:
    """An example result."""

    count: int
    value: float
    """what was measured"""
    #: the lower end
    low: float | None = None


def test_a_dataclass_model_keeps_fields_defaults_and_descriptions() -> None:
    model = model_of(Example)
    schema = model.model_json_schema()
    assert list(schema["properties"]) == ["count", "value", "low"]
    assert schema["required"] == ["count", "value"]
    assert schema["properties"]["value"]["description"] == "what was measured"
    assert schema["properties"]["low"]["description"] == "the lower end"
    assert schema["additionalProperties"] is False
    assert schema["description"] == "An example result."


def test_undefined_numbers_are_null_in_the_answer_and_in_the_schema() -> None:
    model = model_of(Example)
    answer = model.model_validate(Example(3, math.nan, math.inf)).model_dump(mode="json")
    assert answer == {"count": 3, "value": None, "low": None}
    value = model.model_json_schema()["properties"]["value"]
    assert {"type": "null"} in value["anyOf"] and {"type": "number"} in value["anyOf"]
    with pytest.raises(ValueError, match="count"):
        model.model_validate({"count": "x", "value": 1.0})


@pytest.mark.parametrize("cls", [SetComparison, PairComparison, GroupComparison])
def test_statistics_models_have_every_dataclass_field(cls: type) -> None:
    assert set(model_of(cls).model_fields) == {f.name for f in dataclasses.fields(cls)}


def test_number_is_nullable() -> None:
    from pydantic import TypeAdapter

    assert TypeAdapter(Number).validate_python(float("nan")) is None
    assert TypeAdapter(Number).validate_python(2.5) == 2.5
