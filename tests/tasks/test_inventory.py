"""``optbench data check`` and the inventory behind it, on a real data root laid out as the
README says (the files written in their published formats)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from shared.tasks.data_root import DataRoot
from shared.tasks.hf import packaged_minilm_path
from shared.tasks.inventory import check_data_root
from shared.tasks.registry import build_task
from tests.tasks.formats import write_cifar10, write_cifar100, write_goemotions, write_tweeteval


def by_task(report) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {(c.task, c.directory): c for c in report.datasets}


def test_an_empty_root_reports_every_dataset_missing(data_root: Path) -> None:
    report = check_data_root(DataRoot(data_root))
    assert report.exists
    assert {(c.task, c.status) for c in report.datasets} == {
        ("cifar10", "missing"),
        ("cifar100", "missing"),
        ("goemotions", "missing"),
        ("tweeteval", "missing"),
    }
    cifar = by_task(report)[("cifar10", "cifar10")]
    assert cifar.missing == [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]
    assert "b'labels'" in cifar.expected and report.models == []


def test_a_complete_root_is_ready_and_the_loaders_agree(data_root: Path) -> None:
    write_cifar10(data_root / "cifar10" / "cifar-10-batches-py")  # the tarball extracted as is
    write_cifar100(data_root / "cifar100")
    write_goemotions(data_root / "goemotions")
    write_tweeteval(data_root / "tweeteval", "emotion")
    write_tweeteval(data_root / "tweeteval", "stance/climate")
    write_cifar10(data_root / "cifar10-small")
    shutil.copytree(packaged_minilm_path(), data_root / "models" / "minilm")
    (data_root / "models" / "half").mkdir()
    (data_root / "models" / "half" / "config.json").write_text("{}")
    report = check_data_root(DataRoot(data_root))
    checks = by_task(report)
    assert all(c.status == "ready" for c in report.datasets), report.datasets
    assert checks[("cifar10", "cifar10/cifar-10-batches-py")].note is not None
    assert ("tweeteval", "tweeteval/stance/climate") in checks
    small = checks[("cifar10", "cifar10-small")]
    assert small.data_dir == "cifar10-small" and small.missing_optional == []
    assert checks[("goemotions", "goemotions")].missing_optional == []
    models = {m.name: m for m in report.models}
    assert models["minilm"].status == "ready"
    assert models["half"].status == "incomplete"
    assert models["half"].missing == [
        "model.safetensors or pytorch_model.bin",
        "tokenizer.json or vocab.txt",
    ]
    # what the check calls ready, the loaders read
    for task, options in (("cifar10", {}), ("cifar10", {"data_dir": "cifar10-small"})):
        assert len(build_task(task, options, data_root).load().train) == 20
    assert len(build_task("cifar100", {}, data_root).load().test) == 5


def test_incomplete_datasets_list_the_missing_files(data_root: Path) -> None:
    directory = write_cifar100(data_root / "cifar100")
    (directory / "test").unlink()
    (directory / "meta").unlink()
    check = by_task(check_data_root(DataRoot(data_root), ["cifar100"]))[("cifar100", "cifar100")]
    assert (check.status, check.found, check.required) == ("incomplete", 1, 2)
    assert check.missing == ["test"] and check.missing_optional == ["meta"]


def test_the_command_prints_a_table_json_and_exit_statuses(data_root: Path) -> None:
    runner = CliRunner()
    write_cifar10(data_root / "cifar10")
    shown = runner.invoke(app, ["data", "check", "--data-dir", str(data_root)])
    assert shown.exit_code == 0, shown.output
    assert "cifar10" in shown.output and "ready" in shown.output and "missing" in shown.output
    assert "goemotions expects in goemotions/" in shown.output
    ready = runner.invoke(app, ["data", "check", "--data-dir", str(data_root), "--task", "cifar10"])
    assert ready.exit_code == 0, ready.output
    both = [
        "data",
        "check",
        "--data-dir",
        str(data_root),
        "--task",
        "cifar10",
        "--task",
        "cifar100",
    ]
    assert runner.invoke(app, both).exit_code == 1
    as_json = runner.invoke(app, [*both, "--json"])
    report = json.loads(as_json.stdout)
    assert [(d["task"], d["status"]) for d in report["datasets"]] == [
        ("cifar10", "ready"),
        ("cifar100", "missing"),
    ]
    refused = runner.invoke(app, ["data", "check", "--task", "digits"])
    assert refused.exit_code == 2 and "reads no files" in refused.output


def test_the_command_uses_the_configured_root(data_root: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from shared.config import get_settings

    monkeypatch.setenv("OPTBENCH_DATA_DIR", str(data_root))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["data", "check", "--json"])
    finally:
        get_settings.cache_clear()
    assert json.loads(result.stdout)["root"] == str(data_root)
