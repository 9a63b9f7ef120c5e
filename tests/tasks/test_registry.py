"""The registry matches the torch-free declarations and builds tasks with typed options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import get_settings
from shared.tasks.base import Task
from shared.tasks.builtin import BUILTIN_TASKS
from shared.tasks.declarations import UnknownTaskError
from shared.tasks.options import DigitsOptions, TaskOptionError
from shared.tasks.registry import build_task, task_class
from shared.tasks.small import DigitsTask

ROOT = Path(__file__).resolve().parents[2]


def test_every_built_in_declaration_names_its_loader() -> None:
    for declaration in BUILTIN_TASKS:
        cls = task_class(declaration)
        assert issubclass(cls, Task)
        assert cls.name == declaration.name
    classes = {d.name: task_class(d) for d in BUILTIN_TASKS}
    assert classes["goemotions"].multilabel
    assert not classes["tweeteval"].multilabel


def test_build_task_passes_typed_options(tmp_path: Path) -> None:
    task = build_task("digits", {"split_seed": "3"}, tmp_path)
    assert isinstance(task, DigitsTask)
    assert task.declaration is not None and task.declaration.metric == "accuracy"
    assert task.options == DigitsOptions(split_seed=3)
    assert task.data_root.path == tmp_path


def test_unknown_task_and_option_are_refused() -> None:
    with pytest.raises(UnknownTaskError, match="imagenet"):
        build_task("imagenet", {})
    with pytest.raises(TaskOptionError, match=r"task_options\.colour: not an option.*split_seed"):
        build_task("digits", {"colour": 1})


def test_the_default_data_root_is_the_configured_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPTBENCH_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert build_task("digits", {}).data_root.path == tmp_path / "data"
        monkeypatch.setenv("OPTBENCH_DATA_DIR", str(tmp_path / "datasets"))
        get_settings.cache_clear()
        assert build_task("digits", {}).data_root.path == tmp_path / "datasets"
    finally:
        get_settings.cache_clear()


def test_what_the_api_imports_loads_neither_torch_nor_transformers() -> None:
    code = (
        "import sys, shared.tasks, shared.tasks.declarations, shared.tasks.admission, "
        "shared.tasks.inventory, shared.tasks.safe_pickle, shared.spec, shared.tasks.catalog; "
        "shared.tasks.catalog.catalog(); "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
