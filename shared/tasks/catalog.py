"""Every task the platform can run, wherever it comes from: built in, an installed
package's entry point in ``optbench.tasks``, or the server setting ``OPTBENCH_TASKS``
(``name=module:DECLARATION,…``). One :class:`shared.registry.Registry` holds them, with
each one's origin; plugins are described in a child process (the calling process never
imports them) and what cannot be described is listed as unavailable, with the reason.

Torch-free: the API imports this.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from shared.config import get_settings
from shared.registry import Contribution, Origin, Registry, describe_in_child
from shared.tasks.builtin import BUILTIN_TASKS
from shared.tasks.declarations import TaskDeclaration, TaskInfo, UnknownTaskError
from shared.tasks.metrics import Metric
from shared.tasks.plugins import DESCRIBER, adopt_task

GROUP = "optbench.tasks"
VARIABLE = "OPTBENCH_TASKS"

_lock = threading.Lock()
_registry: Registry[TaskDeclaration] | None = None


def discover(cache_dir: Path | None = None) -> Registry[TaskDeclaration]:
    """A fresh registry: the built-ins, then the plugins of this environment."""
    registry: Registry[TaskDeclaration] = Registry("task", GROUP, VARIABLE)
    for declaration in BUILTIN_TASKS:
        registry.add_builtin(declaration.name, declaration)
    contributions = registry.contributions()
    descriptions = describe_in_child(DESCRIBER, contributions, cache_dir)

    def adopt(contribution: Contribution, described: dict[str, Any]) -> TaskDeclaration:
        return adopt_task(contribution.name, described)

    registry.register(contributions, descriptions, adopt)
    return registry


def task_registry() -> Registry[TaskDeclaration]:
    """This process's registry, discovered on first use (plugin descriptions are cached
    under ``$OPTBENCH_HOME/plugins`` per package version)."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = discover(Path(get_settings().home) / "plugins")
        return _registry


def reset_task_registry() -> None:
    """Forget the registry (tests, and after installing a plugin in a running process)."""
    global _registry
    with _lock:
        _registry = None


def task_names() -> list[str]:
    return task_registry().names()


def task_declaration(name: str) -> TaskDeclaration:
    """The declaration of task ``name``; ``UnknownTaskError`` (listing the valid names,
    and why if the task is installed but unavailable) otherwise."""
    registry = task_registry()
    found = registry.get(name) if isinstance(name, str) else None
    if found is None:
        error = UnknownTaskError(name, registry.names())
        unavailable = registry.unavailable.get(name) if isinstance(name, str) else None
        if unavailable is not None:
            error.valid.append(
                f"(task {name!r} is installed but unavailable: {unavailable.reason})"
            )
        raise error
    return found


def task_origin(name: str) -> Origin:
    return task_registry().origins[name]


def task_metric(task: str, metric: str | None = None) -> Metric:
    """The declared metric ``metric`` of ``task`` (its default metric for None): what Set B,
    the leaderboard and a tuning objective rank by, with its direction."""
    return task_declaration(task).metric_named(metric)


def catalog() -> list[TaskInfo]:
    """Every task with its origin, options and metrics; unavailable plugins last, with
    their reason."""
    registry = task_registry()
    listed = [d.info(registry.origins[n].as_dict()) for n, d in registry.entries.items()]
    for name, unavailable in registry.unavailable.items():
        listed.append(
            TaskInfo(
                name=name,
                description="",
                metric="",
                metrics=[],
                origin=unavailable.origin.as_dict(),  # type: ignore[arg-type]
                available=False,
                reason=unavailable.reason,
                needs_files=False,
                data_directory=None,
                expected_format=None,
                options=[],
            )
        )
    return listed


def add_task_schemas(schema: dict[str, Any]) -> None:
    """Extend a training spec's JSON schema with the registered tasks: ``task`` is one of
    their names, and one ``if task is X then task_options is X's options`` clause per
    task."""
    schema["properties"]["task"]["enum"] = task_names()
    schema["allOf"] = [
        {
            "if": {"properties": {"task": {"const": name}}, "required": ["task"]},
            "then": {"properties": {"task_options": task.options_schema()}},
        }
        for name, task in task_registry().entries.items()
    ]
