"""The queue as members see it: runs running and queued per member, and each
experiment's position in the fair-share order (shared/scheduling.py)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas.queue import MemberQueue, Queue, QueuedExperiment
from shared.db.models import Experiment, User
from shared.dispatch import queue_states
from shared.scheduling import positions


def queue_view(session: Session, window: int) -> Queue:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    queue_of: dict[int, str] = {}
    place: dict[int, int] = {}
    for queue, state in queue_states(session).items():
        for experiment, in_service in state.experiment_load.items():
            running = state.running.get(experiment, 0)
            counts[experiment]["running"] += running
            counts[experiment]["sent"] += in_service - running
            queue_of.setdefault(experiment, queue)
        for w in state.waiting:
            counts[w.experiment]["unsent"] += w.runs
            queue_of[w.experiment] = queue
        found = positions(
            state.waiting,
            member_load=state.member_load,
            experiment_load=state.experiment_load,
            shares=state.shares,
        )
        for experiment, position in found.items():
            place[experiment] = min(position, place.get(experiment, position))
    if not counts:
        return Queue(window=window, members=[])
    experiments = session.execute(
        select(Experiment.id, Experiment.name, Experiment.kind, Experiment.priority, User)
        .join(User, Experiment.owner_id == User.id)
        .where(Experiment.id.in_(counts))
    ).all()
    members: dict[int, MemberQueue] = {}
    for experiment_id, name, kind, priority, owner in experiments:
        c = counts[experiment_id]
        member = members.setdefault(
            owner.id,
            MemberQueue(member=owner.name, share=owner.share, running=0, queued=0, experiments=[]),
        )
        entry = QueuedExperiment(
            id=experiment_id,
            name=name,
            kind=kind,
            queue=queue_of[experiment_id],
            priority=priority,
            running=c["running"],
            queued=c["sent"] + c["unsent"],
            sent=c["sent"],
            position=place.get(experiment_id),
        )
        member.running += entry.running
        member.queued += entry.queued
        member.experiments.append(entry)
    unplaced = float("inf")

    def next_place(entry: QueuedExperiment) -> tuple[float, int]:
        return (entry.position if entry.position is not None else unplaced, entry.id)

    for member in members.values():
        member.experiments.sort(key=next_place)
    ordered = sorted(members.values(), key=lambda m: (next_place(m.experiments[0])[0], m.member))
    return Queue(window=window, members=ordered)
