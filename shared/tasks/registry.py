"""Turning a spec's task into a runnable :class:`Task`: what a worker does.

Importing this module loads torch (not transformers or torchvision, which the tasks import
when they need them); the API validates specs against :mod:`shared.tasks.catalog` instead
and never imports this. A plugin task is imported here, in the worker: its own options
model validates the options again (custom validators included) and its loader is the
class the declaration names.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.config import get_settings
from shared.registry import load_object
from shared.tasks.admission import data_root as configured_root
from shared.tasks.base import Task
from shared.tasks.catalog import task_declaration, task_origin
from shared.tasks.data_root import DataRoot
from shared.tasks.declarations import TaskDeclaration
from shared.tasks.options import TaskOptionError
from shared.tasks.plugins import declaration_of


def runnable_declaration(name: str) -> TaskDeclaration:
    """The declaration with the task's own options model and loader: the built-in one,
    or the plugin's, imported in this process."""
    declaration = task_declaration(name)
    origin = task_origin(name)
    if origin.source == "builtin" or origin.target is None:
        return declaration
    return declaration_of(name, origin.target)


def task_class(declaration: TaskDeclaration) -> type[Task]:
    """The declaration's loader, imported."""
    loader = declaration.loader
    cls = load_object(loader) if isinstance(loader, str) else loader
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise TypeError(f"task {declaration.name!r}: loader {loader!r} is not a Task subclass")
    return cls


def build_task(
    name: str,
    options: Mapping[str, Any] | None = None,
    data_root: Path | str | None = None,
    allow_downloads: bool | None = None,
) -> Task:
    """The task ``name`` configured by ``options``, reading files under ``data_root`` and
    downloading only if ``allow_downloads`` (defaults: ``OPTBENCH_DATA_DIR`` and
    ``OPTBENCH_ALLOW_DOWNLOADS``). Raises ``UnknownTaskError`` for a name the registry
    lacks and ``TaskOptionError`` for an unknown option or a bad value."""
    declaration = runnable_declaration(name)
    try:
        typed = declaration.validate_options(dict(options or {}))
    except ValidationError as error:
        raise TaskOptionError.from_validation(error) from None
    settings = get_settings()
    root = configured_root(settings) if data_root is None else DataRoot(data_root)
    downloads = settings.allow_downloads if allow_downloads is None else allow_downloads
    task = task_class(declaration)(typed, root, downloads)  # type: ignore[arg-type]
    task.declaration = declaration
    return task
