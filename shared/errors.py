"""Errors the core library raises for its callers to present: what was refused, where
(a field path within what was submitted, e.g. ``("optimizers", 0, "tuned")``), and why.

The library never decides how a refusal reaches a person: the API turns these into its
422 answers (``api.problems``), the CLI or a script can print them as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldProblem:
    """One reason a submission is refused, located at its field."""

    field: FieldPath
    message: str
    #: A machine-readable kind: ``value_error``, ``limit_exceeded``, ``task_option``.
    kind: str = "value_error"

    def __str__(self) -> str:
        return self.message


def at(field: str | Sequence[str | int], message: str, kind: str = "value_error") -> FieldProblem:
    """A problem at ``field``: a dotted name (``"budget.epochs"``) or a path."""
    path = tuple(field.split(".")) if isinstance(field, str) else tuple(field)
    return FieldProblem(path, message, kind)


class DomainError(Exception):
    """Base of the errors the core library raises for its callers to present."""


class InvalidSubmission(DomainError):
    """A submission this server refuses, with every problem found (at least one)."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        if not problems:
            raise ValueError("an invalid submission names at least one problem")
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
