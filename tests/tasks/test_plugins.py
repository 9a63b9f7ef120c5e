"""Task plugins through the registry: described in a child process, adopted with their
metrics and options, refused or listed as unavailable with a reason when they cannot be
used; options validated from the described schema as the plugin's own model does."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from shared.registry import Contribution, Origin
from shared.tasks.catalog import discover
from shared.tasks.plugins import describe_task, options_model_from_schema
from tests.tasks.plugin_fixtures import LINE, LineOptions

FIXTURES = "tests.tasks.plugin_fixtures"
CONFIGURED = ",".join(
    f"{name}={FIXTURES}:{target}"
    for name, target in [
        ("line", "LINE"),
        ("unrenderable", "UNRENDERABLE"),
        ("list_options", "LIST_OPTIONS"),
        ("not_a_declaration", "NOT_A_DECLARATION"),
        ("missing_module", "tests.tasks.no_such_module:TASK"),
        ("digits", "LINE"),  # a built-in's name
    ]
).replace(f"{FIXTURES}:tests.tasks.no_such_module", "tests.tasks.no_such_module")


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPTBENCH_TASKS", CONFIGURED)
        return discover(cache_dir=None)


def test_a_configured_plugin_is_adopted_with_its_metrics_and_origin(registry) -> None:
    line = registry.get("line")
    assert line is not None and line.metric == "error_rate"
    assert line.metrics[0].direction == "lower" and line.metrics[0].maximum == 1.0
    assert line.loader == "tests.tasks.plugin_fixtures:LineTask"  # a name, not the class
    origin = registry.origins["line"]
    assert origin.source == "configuration" and origin.target == f"{FIXTURES}:LINE"
    assert line.options_schema() == LineOptions.model_json_schema()


def test_unusable_plugins_are_listed_with_the_reason(registry) -> None:
    reasons = {name: u.reason for name, u in registry.unavailable.items()}
    assert set(reasons) == {"unrenderable", "list_options", "not_a_declaration", "missing_module"}
    assert (
        "options model CallbackOptions cannot be rendered to JSON Schema"
        in (reasons["unrenderable"])
    )
    assert "PydanticInvalidForJsonSchema" in reasons["unrenderable"]
    assert "option 'widths': options must be plain values" in reasons["list_options"]
    assert "is a object, not a shared.tasks.TaskDeclaration" in reasons["not_a_declaration"]
    assert "ModuleNotFoundError" in reasons["missing_module"]
    assert all("\n" not in r for r in reasons.values())


def test_a_plugin_never_shadows_a_built_in(registry, caplog) -> None:
    assert registry.get("digits").loader == "shared.tasks.small:DigitsTask"
    (line,) = [r for r in registry.refusals if "'digits'" in r]
    assert "refused: the name is taken by the built in task 'digits'" in line
    assert f"server configuration ({FIXTURES}:LINE" in line


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"points": 100, "kind": "flat", "label": "a", "verbose": True, "scale": 2.5},
        {"points": "100"},  # lax, as specs from the CLI come as strings
        {"points": 7},
        {"points": 10_001},
        {"kind": "round"},
        {"label": "much too long"},
        {"scale": 0},
        {"scale": 10},
        {"verbose": "maybe"},
        {"colour": "red"},
        {"points": None},
    ],
)
def test_options_rebuilt_from_the_schema_accept_what_the_plugin_accepts(options) -> None:
    """The API validates a plugin's options without importing it: the model rebuilt from
    the described JSON schema agrees with the plugin's own on valid and invalid input."""
    rebuilt = options_model_from_schema("line", LineOptions.model_json_schema())

    def outcome(model):  # type: ignore[no-untyped-def]
        try:
            return model.model_validate(options).model_dump()
        except ValidationError as error:
            return sorted(tuple(e["loc"]) for e in error.errors())

    assert outcome(rebuilt) == outcome(LineOptions)


def test_describing_gives_json_and_adoption_refuses_bad_metrics() -> None:
    described = describe_task("line", f"{FIXTURES}:LINE")
    assert described["metrics"] == [m.as_dict() for m in LINE.metrics]
    from shared.tasks.plugins import adopt_task

    bad = {**described, "metrics": [{**described["metrics"][0], "direction": "up"}]}
    with pytest.raises(ValueError, match="direction must be 'higher' or 'lower'"):
        adopt_task("line", bad)
    with pytest.raises(ValueError, match="is a model record field"):
        adopt_task("line", {**described, "metrics": [{**described["metrics"][0], "name": "step"}]})


def test_refusals_are_logged_once_naming_both_claimants(caplog) -> None:
    with caplog.at_level(logging.ERROR), pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPTBENCH_TASKS", f"line={FIXTURES}:LINE,line={FIXTURES}:EXPLODING")
        registry = discover(cache_dir=None)
    assert "line" not in registry
    (line,) = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert f"{FIXTURES}:LINE" in line and f"{FIXTURES}:EXPLODING" in line
    assert Origin("builtin") == registry.origins["digits"]
    assert isinstance(registry.contributions({}), list)
    assert Contribution  # the public registry types are importable from shared.registry


def test_naming_an_unavailable_plugin_says_why(monkeypatch) -> None:
    from shared.tasks.catalog import reset_task_registry, task_declaration
    from shared.tasks.declarations import UnknownTaskError

    monkeypatch.setenv("OPTBENCH_TASKS", f"unrenderable={FIXTURES}:UNRENDERABLE")
    reset_task_registry()
    try:
        with pytest.raises(UnknownTaskError) as raised:
            task_declaration("unrenderable")
        assert "unknown task 'unrenderable'; valid ones: cifar10" in str(raised.value)
        assert "(task 'unrenderable' is installed but unavailable:" in str(raised.value)
        assert "CallbackOptions cannot be rendered to JSON Schema" in str(raised.value)
    finally:
        reset_task_registry()
