"""The registry matches the torch-free declarations, and option values are checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.tasks.base import Task
from shared.tasks.declarations import TASKS, UnknownTaskError
from shared.tasks.options import TaskOptionError, bool_option, int_option
from shared.tasks.registry import TASK_CLASSES, build_task

ROOT = Path(__file__).resolve().parents[2]


def test_every_declared_task_has_a_loader_with_the_declared_metric() -> None:
    assert set(TASK_CLASSES) == set(TASKS)
    for name, cls in TASK_CLASSES.items():
        assert issubclass(cls, Task)
        assert cls.name == name
        assert cls.metric == TASKS[name].metric
    assert TASK_CLASSES["goemotions"].multilabel
    assert not TASK_CLASSES["tweeteval"].multilabel


def test_build_task_passes_options() -> None:
    task = build_task("digits", {"split_seed": 3})
    assert isinstance(task, TASK_CLASSES["digits"])
    assert task.options == {"split_seed": 3}


def test_unknown_task_and_option_are_refused() -> None:
    with pytest.raises(UnknownTaskError, match="imagenet"):
        build_task("imagenet", {})
    with pytest.raises(TaskOptionError, match=r"task_options\.colour.*split_seed"):
        build_task("digits", {"colour": 1})


def test_importing_declarations_loads_neither_torch_nor_transformers() -> None:
    code = (
        "import sys, shared.tasks, shared.tasks.declarations; "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), ("false", False), ("YES", True), (0, False)]
)
def test_bool_option_accepts_json_spellings(value: object, expected: bool) -> None:
    assert bool_option({"flag": value}, "flag", not expected) is expected


@pytest.mark.parametrize("value", ["maybe", 2, 0.5])
def test_bool_option_refuses_other_values(value: object) -> None:
    with pytest.raises(TaskOptionError, match=r"task_options\.flag"):
        bool_option({"flag": value}, "flag", True)


def test_int_option_checks_type_and_range() -> None:
    assert int_option({}, "n", 7) == 7
    assert int_option({"n": "12"}, "n", 7) == 12
    assert int_option({"n": 12.0}, "n", 7) == 12
    for bad in (True, 1.5, "many"):
        with pytest.raises(TaskOptionError, match="expected an integer"):
            int_option({"n": bad}, "n", 7)
    with pytest.raises(TaskOptionError, match="≥ 10"):
        int_option({"n": 3}, "n", 20, minimum=10)
