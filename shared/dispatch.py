"""The broker's window: which queued runs are sent to the workers, and when.

The database is the source of truth for what must run. Runs are not sent at
submission; the broker holds, per queue, at most ``queue_window`` runs waiting for a
free worker (plus those the workers are running). The rest wait in the database, and
whenever the window has room — a worker claimed a run, an experiment was submitted or
cancelled, the reconciler's periodic tick — :func:`fill_window` chooses the next ones by
fair share (:mod:`shared.scheduling`) and sends them.

A run's ``sent_at`` says when its message was sent (None: not yet). It is written in
the transaction that chooses the run, and the messages are sent after that commit (so
a worker always finds the row); one that could not be sent goes back to waiting, and
one lost afterwards (a broker flushed, a process killed between the commit and the
send) is sent again by the reconciler once it is stale (:mod:`shared.reconcile`).
Choosing is serialised: an advisory lock on PostgreSQL, the write lock on SQLite; so
two processes topping up at once cannot overfill the window or pick the same run.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from shared.broker import job_name_for
from shared.db.base import utcnow
from shared.db.models import Experiment, Run, Status, User
from shared.scheduling import Waiting, send_order

log = logging.getLogger(__name__)

#: PostgreSQL advisory lock held while choosing what to send (any constant will do).
WINDOW_LOCK = 0x6F70_7462


@dataclass(frozen=True)
class Outgoing:
    """A run to send: its id, queue and experiment kind (which names the task)."""

    run: int
    queue: str
    kind: str


#: Sends messages in order; returns how many were sent (the first ones).
Publish = Callable[[Sequence[Outgoing]], int]


@dataclass
class QueueState:
    """One queue's runs in the database, counted."""

    queue: str
    #: Runs sent and not yet claimed by a worker (waiting in the broker).
    sent: int = 0
    #: Per experiment, its runs not sent yet (experiments not being cancelled).
    waiting: list[Waiting] = field(default_factory=list)
    #: Runs in service (running, or sent and waiting), per member and per experiment.
    member_load: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    experiment_load: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    #: Runs running, per experiment.
    running: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    #: Members' shares (those with runs waiting); experiments' kinds.
    shares: dict[int, float] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)

    def order(self) -> Iterator[int]:
        """The experiment of each waiting run, in the order they would be sent."""
        return send_order(
            self.waiting,
            member_load=self.member_load,
            experiment_load=self.experiment_load,
            shares=self.shares,
        )


def queue_states(session: Session) -> dict[str, QueueState]:
    """Every queue with runs queued or running, counted in one query."""
    unsent = Run.sent_at.is_(None)
    rows = session.execute(
        select(
            Run.queue,
            Run.experiment_id,
            Experiment.owner_id,
            Experiment.priority,
            Experiment.kind,
            Experiment.cancel_requested,
            Run.status,
            unsent.label("unsent"),
            func.count(),
        )
        .join(Experiment, Run.experiment_id == Experiment.id)
        .where(Run.status.in_([Status.queued, Status.running]))
        .group_by(
            Run.queue,
            Run.experiment_id,
            Experiment.owner_id,
            Experiment.priority,
            Experiment.kind,
            Experiment.cancel_requested,
            Run.status,
            unsent,
        )
    ).all()
    states: dict[str, QueueState] = {}
    waiting: dict[tuple[str, int], Waiting] = {}
    for queue, experiment, member, priority, kind, cancelled, status, is_unsent, count in rows:
        state = states.setdefault(queue, QueueState(queue))
        state.kinds[experiment] = kind
        if status == Status.queued and is_unsent:
            if not cancelled:
                waiting[queue, experiment] = Waiting(experiment, member, count, priority)
            continue
        state.member_load[member] += count
        state.experiment_load[experiment] += count
        if status == Status.running:
            state.running[experiment] += count
        else:
            state.sent += count
    for (queue, _), entry in sorted(waiting.items()):
        states[queue].waiting.append(entry)
    members = {w.member for w in waiting.values()}
    if members:
        shares = dict(
            session.execute(select(User.id, User.share).where(User.id.in_(members))).all()
        )
        for state in states.values():
            state.shares = shares
    return states


def hold_window(session: Session) -> None:
    """Serialise choosing until the transaction ends (SQLite's write sessions already
    hold the database's write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WINDOW_LOCK})


def take_window(session: Session, window: int, now: datetime | None = None) -> list[Outgoing]:
    """Choose the runs that fit in each queue's window, in fair-share order, and mark
    them sent; flushes. The caller commits, then publishes (:func:`deliver`)."""
    now = now or utcnow()
    hold_window(session)
    outgoing: list[Outgoing] = []
    for state in queue_states(session).values():
        room = window - state.sent
        if room <= 0 or not state.waiting:
            continue
        picks = list(islice(state.order(), room))
        runs: dict[int, deque[Run]] = {}
        for experiment, count in Counter(picks).items():
            runs[experiment] = deque(
                session.scalars(
                    select(Run)
                    .where(
                        Run.experiment_id == experiment,
                        Run.queue == state.queue,
                        Run.status == Status.queued,
                        Run.sent_at.is_(None),
                    )
                    .order_by(Run.id)
                    .limit(count)
                    .with_for_update(skip_locked=True)
                )
            )
        for experiment in picks:
            if runs[experiment]:  # a row another transaction holds is left for later
                run = runs[experiment].popleft()
                run.sent_at = now
                outgoing.append(Outgoing(run.id, run.queue, state.kinds[experiment]))
    session.flush()
    return outgoing


def mark_sent(runs: Sequence[Run], now: datetime | None = None) -> list[Outgoing]:
    """Runs sent outside the window (the reconciler's, a restarted server's): stamped
    sent, to be published once the caller commits."""
    now = now or utcnow()
    for run in runs:
        run.sent_at = now
    return [Outgoing(run.id, run.queue, run.experiment.kind) for run in runs]


def deliver(sessions: sessionmaker[Session], outgoing: Sequence[Outgoing], publish: Publish) -> int:
    """Publish committed choices; the ones that could not be sent wait again."""
    if not outgoing:
        return 0
    sent = publish(outgoing)
    if sent < len(outgoing):
        unsent = [o.run for o in outgoing[sent:]]
        try:
            with sessions() as session:
                session.execute(
                    update(Run)
                    .where(Run.id.in_(unsent), Run.status == Status.queued)
                    .values(sent_at=None)
                    .execution_options(synchronize_session=False)
                )
                session.commit()
        except Exception:  # they are sent again once stale (shared.reconcile)
            log.warning("%d run(s) marked sent were not sent", len(unsent), exc_info=True)
    return sent


def fill_window(sessions: sessionmaker[Session], window: int, publish: Publish) -> int:
    """Top up every queue's window; returns how many runs were sent."""
    with sessions() as session:
        outgoing = take_window(session, window)
        session.commit()
    return deliver(sessions, outgoing, publish)


def publisher(celery: Any) -> Publish:
    """Sending with a Celery application (the API's or the worker's), by task name."""

    def publish(outgoing: Sequence[Outgoing]) -> int:
        sent = 0
        try:
            with celery.connection_for_write() as connection:
                for o in outgoing:
                    celery.send_task(
                        job_name_for(o.kind), args=[o.run], queue=o.queue, connection=connection
                    )
                    sent += 1
        except Exception:  # the broker's error types vary by transport
            log.exception("broker unavailable; %d run(s) wait in the database", len(outgoing))
        return sent

    return publish
