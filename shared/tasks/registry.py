"""Task names to loader classes: what a worker uses to turn a spec into a :class:`Task`.

Importing this module loads torch (not transformers or torchvision, which the tasks import
when they need them); the API validates specs against :mod:`shared.tasks.declarations`
instead and never imports this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.tasks.base import Task
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


def build_task(name: str, options: Mapping[str, Any] | None = None) -> Task:
    """The task ``name`` configured by ``options``; raises ``UnknownTaskError`` for a name
    the declarations lack and ``TaskOptionError`` for an option the task does not take."""
    declaration = task_declaration(name)
    options = dict(options or {})
    unknown = sorted(set(options) - set(declaration.options))
    if unknown:
        raise TaskOptionError(
            f"task_options.{unknown[0]}: not an option of {declaration.name}; "
            f"valid ones: {', '.join(declaration.options) or 'none'}"
        )
    return TASK_CLASSES[declaration.name](**options)
