"""Per-user quotas on submissions: how many per minute, and how many runs queued or
running at once.

Both are checked and the new experiment inserted under a row lock on the submitting
user (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite write transactions are serialised
already), so concurrent requests from one user are counted one after another and cannot
slip past a limit together. The caller commits, which releases the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.models import Experiment, Run, Status, User


@dataclass
class QuotaExceeded(Exception):
    """A submission over a user's quota; ``setting`` names the limit."""

    setting: str
    message: str
    retry_after: int

    def __str__(self) -> str:
        return self.message


def hold_user(session: Session, user_id: int) -> None:
    """Lock the user's row until the transaction ends: one submission at a time."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update())


def check_submission_rate(session: Session, user_id: int, per_minute: int) -> None:
    recent = session.scalar(
        select(func.count())
        .select_from(Experiment)
        .where(
            Experiment.owner_id == user_id,
            Experiment.created_at > utcnow() - timedelta(minutes=1),
        )
    )
    if (recent or 0) >= per_minute:
        raise QuotaExceeded(
            "OPTBENCH_MAX_SUBMISSIONS_PER_MINUTE",
            f"more than {per_minute} submissions in the last minute "
            "(OPTBENCH_MAX_SUBMISSIONS_PER_MINUTE); retry shortly",
            60,
        )


def active_runs(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Run)
            .join(Experiment, Run.experiment_id == Experiment.id)
            .where(
                Experiment.owner_id == user_id,
                Run.status.in_([Status.queued, Status.running]),
            )
        )
        or 0
    )


def check_active_runs(session: Session, user_id: int, new_runs: int, cap: int) -> None:
    active = active_runs(session, user_id)
    if active + new_runs > cap:
        raise QuotaExceeded(
            "OPTBENCH_MAX_ACTIVE_RUNS_PER_USER",
            f"this experiment's {new_runs} run(s) and your {active} queued or running "
            f"run(s) are over the limit of {cap} a user "
            "(OPTBENCH_MAX_ACTIVE_RUNS_PER_USER); wait for some to finish or cancel some",
            300,
        )
