"""Training tasks: data + model + loss + metrics — and the public task API for plugins.

A task is declared (:class:`TaskDeclaration`: its options model, its :class:`Metric`\\ s
with their direction, and its loader, a :class:`Task` subclass) and registered: built in
(:mod:`shared.tasks.builtin`) or contributed by an installed package through the
entry-point group ``optbench.tasks`` (:mod:`shared.tasks.catalog`). ::

    from shared.tasks import Metric, TaskDeclaration, TaskOptions

    DECLARATION = TaskDeclaration(
        name="wine_quality",
        description="…",
        metrics=(Metric("mse", "lower", "test mean squared error", 0.0, None),),
        options_model=MyOptions,                  # a TaskOptions subclass (pydantic)
        loader="my_package.task:WineQualityTask",  # imported by workers only
    )

Importing this package loads neither torch nor any task: the declarations are plain
Python and the torch-side names (``Task``, ``TaskData``, ``build_task``) load on first
access, so the API can import ``shared.tasks`` freely.
"""

from __future__ import annotations

import importlib
from typing import Any

from shared.tasks.declarations import TaskDeclaration, UnknownMetricError, UnknownTaskError
from shared.tasks.metrics import Direction, Metric
from shared.tasks.options import TaskOptionError, TaskOptions

_LAZY = {
    "Task": "shared.tasks.base",
    "TaskData": "shared.tasks.base",
    "TaskDataError": "shared.tasks.base",
    "build_task": "shared.tasks.registry",
    "DataRoot": "shared.tasks.data_root",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'shared.tasks' has no attribute {name!r}")


__all__ = [
    "Direction",
    "Metric",
    "TaskDeclaration",
    "TaskOptionError",
    "TaskOptions",
    "UnknownMetricError",
    "UnknownTaskError",
    *_LAZY,
]
