"""Task names to loader classes: what a worker uses to turn a spec into a :class:`Task`.

Importing this module loads torch (not transformers or torchvision, which the tasks import
when they need them); the API validates specs against :mod:`shared.tasks.declarations`
instead and never imports this.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.config import get_settings
from shared.tasks.admission import data_root as configured_root
from shared.tasks.base import Task
from shared.tasks.data_root import DataRoot
from shared.tasks.declarations import task_declaration
from shared.tasks.options import TaskOptionError
from shared.tasks.small import DigitsTask, MiniLMTextTask, Mnist1dTask
from shared.tasks.text import GoEmotionsTask, TweetEvalTask
from shared.tasks.vision import Cifar10Task, Cifar100Task

TASK_CLASSES: dict[str, type[Task]] = {
    cls.name: cls
    for cls in (
        Cifar10Task,
        Cifar100Task,
        GoEmotionsTask,
        TweetEvalTask,
        DigitsTask,
        Mnist1dTask,
        MiniLMTextTask,
    )
}


def build_task(
    name: str,
    options: Mapping[str, Any] | None = None,
    data_root: Path | str | None = None,
    allow_downloads: bool | None = None,
) -> Task:
    """The task ``name`` configured by ``options``, reading files under ``data_root`` and
    downloading only if ``allow_downloads`` (defaults: ``OPTBENCH_DATA_DIR`` and
    ``OPTBENCH_ALLOW_DOWNLOADS``). Raises ``UnknownTaskError`` for a name the declarations
    lack and ``TaskOptionError`` for an unknown option or a bad value."""
    declaration = task_declaration(name)
    try:
        typed = declaration.validate_options(dict(options or {}))
    except ValidationError as error:
        raise TaskOptionError.from_validation(error) from None
    settings = get_settings()
    root = configured_root(settings) if data_root is None else DataRoot(data_root)
    downloads = settings.allow_downloads if allow_downloads is None else allow_downloads
    return TASK_CLASSES[declaration.name](typed, root, downloads)
