"""The checks on ``task_options`` that depend on the server: whether it permits downloads,
and where its data root is (a name that passes the lexical checks may still be a symlink
leading out of the root). Run at submission, next to the server's limits; the worker
repeats the path checks when it opens the files. Torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared.config import Settings
from shared.errors import FieldProblem, at
from shared.tasks.data_root import MODELS_DIRECTORY, DataPathError, DataRoot
from shared.tasks.layouts import LAYOUTS


def data_root(settings: Settings) -> DataRoot:
    """The server's data root (``OPTBENCH_DATA_DIR``, default ``$OPTBENCH_HOME/data``)."""
    return DataRoot(settings.data_dir or Path(settings.home) / "data")


def downloads_refused(options: Mapping[str, Any], settings: Settings) -> str | None:
    """Why ``allow_download`` cannot be honoured here, or None."""
    if options.get("allow_download") and not settings.allow_downloads:
        return (
            "task_options.allow_download: this server does not permit downloads "
            "(OPTBENCH_ALLOW_DOWNLOADS is off); put the model under the data root's "
            f"{MODELS_DIRECTORY}/ directory and name it in task_options.model"
        )
    return None


def task_option_violations(
    task: str, options: Mapping[str, Any], settings: Settings
) -> list[FieldProblem]:
    """What this server refuses of ``task``'s validated ``options``, each at
    ``task_options.<option>`` (the task's default directory is checked when ``data_dir``
    is not given)."""
    problems: list[tuple[str, str]] = []
    if (refused := downloads_refused(options, settings)) is not None:
        problems.append(("allow_download", refused))
    root = data_root(settings)
    # Only where the root is visible: an API host without the datasets cannot resolve
    # links, and the worker checks again before reading.
    layout = LAYOUTS.get(task)
    default = layout.directory if layout else None
    names = {"data_dir": options.get("data_dir", default), "model": options.get("model")}
    if isinstance(names["model"], str):
        names["model"] = f"{MODELS_DIRECTORY}/{names['model']}"
    for option, name in names.items():
        if isinstance(name, str) and root.path.is_dir():
            try:
                root.directory(name, option)
            except DataPathError as error:
                problems.append((option, str(error)))
    return [at(("task_options", option), message, "task_option") for option, message in problems]
