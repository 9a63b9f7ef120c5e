"""Keeping the broker honest: the database is the source of truth for what must run.

A message can vanish (broker flushed or restarted without persistence) or its worker can
die (``kill -9``, a lost machine). Either way the database still says ``queued`` or
``running``. The reconciler finds such runs and sends them again:

* ``queued`` runs sent more than ``stale_after`` seconds ago (their message may be
  gone). A queued run never sent is not stale: it waits in the database for its turn,
  and the scheduler sends it when the broker's window has room (shared/dispatch.py);
* ``running`` runs whose heartbeat is older than ``stale_after`` (their worker is gone):
  back to ``queued`` — or ``failed`` with the reason once ``max_attempts`` is used up.

Sending a run twice is harmless: a worker claims a run before working on it, and a run
that is finished, or running with a fresh heartbeat, is left alone. Still, a queued run
whose message the broker still holds is not sent again, so a long queue does not grow
copies of itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.models import Experiment, Run, Status
from shared.dispatch import Outgoing, mark_sent
from shared.experiments import refresh_status


@dataclass
class Reconciliation:
    resend: list[Run] = field(default_factory=list)
    failed: list[Run] = field(default_factory=list)
    #: ``resend``, stamped sent: publish these once the transaction commits.
    sent: list[Outgoing] = field(default_factory=list)


def reconcile(
    session: Session,
    *,
    stale_after: float,
    max_attempts: int,
    now: datetime | None = None,
    in_flight: set[int] | None = None,
) -> Reconciliation:
    """Decide and flush; the caller commits, then sends ``sent``.

    ``in_flight``: runs whose message the broker still holds (None: unknown). A queued
    run among them is not sent again, however long it has waited in the queue."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=stale_after)
    candidates = session.scalars(
        select(Run)
        .join(Experiment)
        .with_for_update(of=Run, skip_locked=True)
        .where(Experiment.cancel_requested.is_(False))
        .where(
            or_(
                (Run.status == Status.queued) & (Run.sent_at < cutoff),
                (Run.status == Status.running)
                & or_(Run.heartbeat_at.is_(None), Run.heartbeat_at < cutoff),
            )
        )
        .order_by(Run.id)
    ).all()
    outcome = Reconciliation()
    touched = set()
    for run in candidates:
        if run.status == Status.queued and in_flight is not None and run.id in in_flight:
            continue  # its message is still in the broker, waiting for a worker
        if run.status == Status.running and run.attempts >= max_attempts:
            run.status = Status.failed
            run.finished_at = now
            run.error = (
                f"gave up after {run.attempts} attempts: no heartbeat from its "
                f"worker for {stale_after:g} s"
            )
            outcome.failed.append(run)
        else:
            run.status = Status.queued
            outcome.resend.append(run)
        touched.add(run.experiment_id)
    outcome.sent = mark_sent(outcome.resend, now)
    session.flush()
    for experiment_id in touched:
        refresh_status(session, experiment_id)
    return outcome
