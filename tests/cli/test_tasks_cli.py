"""``optbench tasks list`` and ``optbench tasks check`` as a user runs them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from shared.tasks.catalog import reset_task_registry

runner = CliRunner()
FIXTURES = "tests.tasks.plugin_fixtures"


@pytest.fixture(autouse=True)
def configured_plugins(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables wide enough not to wrap a line
    monkeypatch.setenv(
        "OPTBENCH_TASKS",
        f"line={FIXTURES}:LINE,exploding={FIXTURES}:EXPLODING,unrenderable={FIXTURES}:UNRENDERABLE",
    )
    reset_task_registry()
    yield
    reset_task_registry()


def test_list_shows_origins_directions_and_unavailable_plugins() -> None:
    result = runner.invoke(app, ["tasks", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = {t["name"]: t for t in json.loads(result.stdout)}
    assert listed["char_lm"]["origin"]["text"] == "built in"
    assert [(m["name"], m["direction"]) for m in listed["char_lm"]["metrics"]] == [
        ("perplexity", "lower"),
        ("next_token_accuracy", "higher"),
    ]
    assert listed["line"]["origin"]["source"] == "configuration"
    assert listed["line"]["metrics"][0]["direction"] == "lower"
    assert not listed["unrenderable"]["available"]
    assert "cannot be rendered to JSON Schema" in listed["unrenderable"]["reason"]
    table = runner.invoke(app, ["tasks", "list"])
    assert table.exit_code == 0 and "lower is better" in table.stdout


def test_check_passes_a_sound_task_and_fails_one_that_raises() -> None:
    passed = runner.invoke(app, ["tasks", "check", "line", "--option", "points=32"])
    assert passed.exit_code == 0, passed.output
    assert passed.stdout.count("passed") == 5 and "error_rate" in passed.stdout
    failed = runner.invoke(app, ["tasks", "check", "exploding"])
    assert failed.exit_code == 1
    assert "RuntimeError: the plugin's dataset server is down" in failed.stdout
    unknown = runner.invoke(app, ["tasks", "check", "nope"])
    assert unknown.exit_code == 2 and "unknown task 'nope'" in unknown.output
    bad = runner.invoke(app, ["tasks", "check", "line", "--option", "points=3"])
    assert bad.exit_code == 2 and "task_options.points" in bad.output


def test_check_catches_a_task_whose_data_changes_between_loads(monkeypatch) -> None:
    """A loader drawing from an unseeded RNG gives each trajectory other data: caught."""
    import torch

    from tests.tasks.plugin_fixtures import LineTask

    original = LineTask.load

    def shuffled(self):  # type: ignore[no-untyped-def]
        data = original(self)
        x, y = data.train.tensors
        order = torch.randperm(len(y))  # the global RNG, not seeded by the task
        data.train = torch.utils.data.TensorDataset(x[order], y[order])
        return data

    monkeypatch.setattr(LineTask, "load", shuffled)
    result = runner.invoke(app, ["tasks", "check", "line"])
    assert result.exit_code == 1
    assert "train: loading twice gave different examples" in result.stdout
