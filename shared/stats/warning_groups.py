"""Warnings said once: when several optimizers get the same sentence (the same
trajectory-level floor, the same short schedule), a reader sees it once, naming them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class WarningGroup:
    """One warning and every optimizer it concerns."""

    optimizers: list[str]
    """The optimizers (configuration keys) the warning is about, in the order given."""
    message: str
    """The warning, in words."""

    def text(self) -> str:
        """``"sgd, sam: message"``."""
        return f"{', '.join(self.optimizers)}: {self.message}"


def group_warnings(per_optimizer: Mapping[str, Iterable[str]]) -> list[WarningGroup]:
    """Each distinct warning once, with the optimizers that have it, in the order the
    warnings first appear (an optimizer's repeated sentence counts once)."""
    holders: dict[str, list[str]] = {}
    for optimizer, messages in per_optimizer.items():
        for message in messages:
            names = holders.setdefault(message, [])
            if str(optimizer) not in names:
                names.append(str(optimizer))
    return [WarningGroup(names, message) for message, names in holders.items()]
