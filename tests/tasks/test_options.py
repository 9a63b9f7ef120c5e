"""Typed task options, the data root's path rules and the server-dependent checks, all
torch-free (what the API runs at submission)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from shared.config import Settings
from shared.spec import limit_violations, spec_adapter, spec_json_schema
from shared.tasks.admission import task_option_violations
from shared.tasks.catalog import catalog, task_declaration, task_names
from shared.tasks.data_root import DataPathError, DataRoot, relative_name


def errors(task: str, options: dict) -> dict[str, str]:
    """option name → message, for options the task's model refuses."""
    with pytest.raises(ValidationError) as raised:
        task_declaration(task).validate_options(options)
    return {".".join(map(str, e["loc"])): e["msg"] for e in raised.value.errors()}


def test_defaults_types_and_lax_parsing() -> None:
    options = task_declaration("mnist1d").validate_options({})
    assert (options.num_samples, options.data_seed, options.architecture) == (4000, 42, "mlp")
    parsed = task_declaration("mnist1d").validate_options({"num_samples": "500"})
    assert parsed.num_samples == 500
    assert task_declaration("cifar10").validate_options({"cifar_stem": "false"}).cifar_stem is False
    assert task_declaration("tweeteval").validate_options({}).subtask == "emotion"


@pytest.mark.parametrize(
    ("task", "options", "field", "reason"),
    [
        ("mnist1d", {"num_samples": -5}, "num_samples", "greater than or equal to 100"),
        ("mnist1d", {"num_samples": 10**9}, "num_samples", "less than or equal to 100000"),
        ("mnist1d", {"num_samples": True}, "num_samples", "not true/false"),
        ("mnist1d", {"num_samples": 2.5}, "num_samples", "fractional part"),
        ("mnist1d", {"architecture": "rnn"}, "architecture", "'mlp' or 'cnn'"),
        ("digits", {"split_seed": -1}, "split_seed", "greater than or equal to 0"),
        ("digits", {"colour": 1}, "colour", "not an option of digits; valid ones: split_seed"),
        ("cifar10", {"cifar_stem": "maybe"}, "cifar_stem", "valid boolean"),
        ("cifar10", {"data_dir": "/etc"}, "data_dir", "not an absolute one"),
        ("cifar10", {"data_dir": "../../etc"}, "data_dir", "must not contain '..'"),
        ("cifar10", {"data_dir": "a/../../b"}, "data_dir", "must not contain '..'"),
        ("cifar10", {"data_dir": "C:\\data"}, "data_dir", "backslashes"),
        ("cifar10", {"data_dir": "~/data"}, "data_dir", "not an absolute one"),
        ("cifar10", {"data_dir": ""}, "data_dir", "must not be empty"),
        ("cifar10", {"data_dir": "é" * 150}, "data_dir", "longer than 255 bytes"),
        ("cifar10", {"data_dir": "x" * 201}, "data_dir", "at most 200 characters"),
        ("cifar10", {"data_dir": "a\x00b"}, "data_dir", "NUL"),
        ("goemotions", {"model": "/models/bert"}, "model", "the data root's models/ directory"),
        ("goemotions", {"max_length": 2}, "max_length", "greater than or equal to 4"),
        ("tweeteval", {"subtask": "../x"}, "subtask", "'emoji', 'emotion'"),
        ("minilm_text", {"num_examples": 5}, "num_examples", "greater than or equal to 30"),
    ],
)
def test_bad_values_name_the_option_and_the_reason(
    task: str, options: dict, field: str, reason: str
) -> None:
    found = errors(task, options)
    assert field in found and reason in found[field], found


def test_unknown_and_bad_options_are_reported_together() -> None:
    found = errors("mnist1d", {"colour": 1, "num_samples": -5, "architecture": "cnn"})
    assert set(found) == {"colour", "num_samples"}
    assert "greater than or equal to 100" in found["num_samples"]


def test_relative_names_are_normalised() -> None:
    assert relative_name("cifar10-small") == "cifar10-small"
    assert relative_name("./a//b/.") == "a/b"
    with pytest.raises(ValueError, match="sub-directory"):
        relative_name(".")


def test_a_link_out_of_the_root_is_refused_one_inside_is_not(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "inside").symlink_to(root / "real", target_is_directory=True)
    (root / "outside").symlink_to(tmp_path, target_is_directory=True)
    data = DataRoot(root)
    inside = data.directory("inside")
    assert inside.path == (root / "real").resolve() and inside.shown == "inside"
    with pytest.raises(DataPathError, match=r"task_options\.data_dir: 'outside' is a link"):
        data.directory("outside")
    with pytest.raises(DataPathError, match="not an absolute one"):
        data.directory(str(tmp_path))
    (root / "loop").symlink_to(root / "loop")
    with pytest.raises(DataPathError, match="cannot be resolved"):
        data.directory("loop")
    assert "<data root>" in data.redact(f"{root.resolve()} is missing")
    assert data.redact(f"no {root.resolve()}/cifar10/x") == "no cifar10/x"


def submitted(data: dict) -> Any:
    """A spec validated as the API validates a submission."""
    return spec_adapter.validate_python(data, context={"stored": False})


def settings_with(tmp_path: Path, **changes: object) -> Settings:
    return Settings(home=tmp_path, **changes)  # type: ignore[arg-type]


def test_downloads_need_the_server_to_permit_them(tmp_path: Path) -> None:
    options = {"model": "bert-base-uncased", "allow_download": True}
    refused = task_option_violations("goemotions", options, settings_with(tmp_path))
    assert [e.field for e in refused] == [("task_options", "allow_download")]
    assert "does not permit downloads (OPTBENCH_ALLOW_DOWNLOADS is off)" in refused[0].message
    permitting = settings_with(tmp_path, allow_downloads=True)
    assert task_option_violations("goemotions", options, permitting) == []
    assert task_option_violations("goemotions", {"model": "bert"}, settings_with(tmp_path)) == []


def test_links_are_checked_where_the_root_is_visible(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, data_dir=tmp_path / "data")
    assert task_option_violations("cifar10", {"data_dir": "escape"}, settings) == []  # no root
    (tmp_path / "data" / "models").mkdir(parents=True)
    (tmp_path / "data" / "escape").symlink_to("/etc", target_is_directory=True)
    (tmp_path / "data" / "models" / "bert").symlink_to("/usr", target_is_directory=True)
    found = task_option_violations("goemotions", {"data_dir": "escape", "model": "bert"}, settings)
    assert [e.field[-1] for e in found] == ["data_dir", "model"]
    (tmp_path / "data" / "cifar10").symlink_to("/etc", target_is_directory=True)
    (default,) = task_option_violations("cifar10", {}, settings)  # the task's own directory
    assert "'cifar10' is a link that leads outside" in default.message
    assert task_option_violations("digits", {}, settings) == []
    assert all("leads outside the data root" in e.message for e in found)
    assert "/etc" not in str(found) and str(tmp_path) not in str(found)


def test_the_spec_carries_parsed_options_and_the_limits_include_the_option_checks(
    tmp_path: Path,
) -> None:
    base = {"kind": "training", "optimizers": ["sgd"]}
    spec = submitted({**base, "task": "mnist1d", "task_options": {"num_samples": "500"}})
    assert spec.task_options == {"num_samples": 500}
    bad = {**base, "task": "mnist1d", "task_options": {"num_samples": -5}}
    with pytest.raises(ValidationError) as raised:
        submitted(bad)
    (error,) = raised.value.errors()
    assert error["loc"] == ("training", "task_options", "num_samples")
    # a spec stored before the options were typed stays readable, as it was stored
    stored = spec_adapter.validate_python(bad, context={"stored": True})
    assert stored.task_options == {"num_samples": -5}
    text = submitted({**base, "task": "goemotions", "task_options": {"allow_download": True}})
    found = limit_violations(text, settings_with(tmp_path))
    assert [e.field for e in found] == [("task_options", "allow_download")]


def test_the_spec_schema_shows_each_tasks_options() -> None:
    schema = spec_json_schema()["$defs"]["TrainingSpec"]
    clauses = {c["if"]["properties"]["task"]["const"]: c["then"] for c in schema["allOf"]}
    assert set(clauses) == set(task_names())
    mnist = clauses["mnist1d"]["properties"]["task_options"]
    assert mnist["additionalProperties"] is False
    samples = mnist["properties"]["num_samples"]
    assert (samples["type"], samples["minimum"], samples["maximum"], samples["default"]) == (
        "integer",
        100,
        100_000,
        4000,
    )
    assert mnist["properties"]["architecture"]["enum"] == ["mlp", "cnn"]
    tweets = clauses["tweeteval"]["properties"]["task_options"]["properties"]
    assert "stance/climate" in tweets["subtask"]["enum"]


def test_the_task_listing_describes_every_option() -> None:
    info = {t.name: t for t in catalog()}
    mnist = {o.name: o for o in info["mnist1d"].options}
    assert mnist["num_samples"].type == "integer" and mnist["num_samples"].minimum == 100
    assert mnist["architecture"].choices == ["mlp", "cnn"]
    assert info["cifar10"].needs_files and info["cifar10"].data_directory == "cifar10"
    assert "data_batch_1" in (info["cifar10"].expected_format or "")
    text = {o.name: o for o in info["goemotions"].options}
    assert text["model"].type == "string" and text["model"].default is None
    assert text["allow_download"].default is False
    assert not info["digits"].needs_files and info["digits"].data_directory is None


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("training-*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_training_examples_follow_the_data_root_rules(path: Path, tmp_path: Path) -> None:
    spec = submitted(yaml.safe_load(path.read_text()))
    assert task_option_violations(spec.task, spec.task_options, settings_with(tmp_path)) == []
