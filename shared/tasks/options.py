"""Reading ``task_options`` values.

Specs arrive as JSON, so an option may be a bool, a number or a string ("false", "4000");
these helpers accept the obvious spellings and reject the rest with a message that names
the option, rather than letting a stray string silently mean ``True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class TaskOptionError(ValueError):
    """A ``task_options`` value is missing or has the wrong type or range."""


def bool_option(options: Mapping[str, Any], name: str, default: bool) -> bool:
    value = options.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise TaskOptionError(f"task_options.{name}: expected true or false, got {value!r}")


def int_option(
    options: Mapping[str, Any],
    name: str,
    default: int,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    value = options.get(name, default)
    if isinstance(value, bool):
        raise TaskOptionError(f"task_options.{name}: expected an integer, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TaskOptionError(f"task_options.{name}: expected an integer, got {value!r}") from None
    if isinstance(value, float) and number != value:
        raise TaskOptionError(f"task_options.{name}: expected an integer, got {value!r}")
    if minimum is not None and number < minimum:
        raise TaskOptionError(f"task_options.{name}: must be ≥ {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise TaskOptionError(f"task_options.{name}: must be ≤ {maximum}, got {number}")
    return number


def str_option(options: Mapping[str, Any], name: str, default: str | None) -> str | None:
    value = options.get(name, default)
    if value is None or isinstance(value, str):
        return value
    raise TaskOptionError(f"task_options.{name}: expected a string, got {value!r}")


def choice_option(
    options: Mapping[str, Any], name: str, default: str, choices: tuple[str, ...]
) -> str:
    value = str_option(options, name, default)
    if value not in choices:
        raise TaskOptionError(
            f"task_options.{name}: expected one of {', '.join(choices)}, got {value!r}"
        )
    return value


def required_path(options: Mapping[str, Any], name: str, task: str, expected: str) -> Path:
    """A directory option the task cannot run without; the message says what belongs there."""
    value = str_option(options, name, None)
    if not value:
        raise TaskOptionError(f"task {task} needs task_options.{name}: {expected}")
    return Path(value).expanduser()
