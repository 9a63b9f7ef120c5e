"""Fair share: the order in which runs waiting in the database go to the workers.

Pure decisions over counts (no database, no broker); :mod:`shared.dispatch` feeds them
and sends what they choose. The rule, one run at a time, on one queue:

1. **Member**: the one with the fewest runs in service (running, or sent and waiting
   for a worker) per unit of share; ties go to the member whose oldest waiting
   experiment was submitted first.
2. **Experiment**, among that member's: the highest priority first; among equal
   priorities, the one with the fewest runs in service (so a member's experiments take
   turns: round robin); ties in submission order.
3. **Run**, within the experiment: submission order (the caller's: lowest id first).

Every choice counts the chosen run as in service before the next one is made, so a
member with twice the share gets about twice as many runs in service, and a member
who just submitted is served before one who already has runs in service.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Waiting:
    """An experiment's runs on one queue that have not been sent yet."""

    experiment: int
    member: int
    runs: int
    priority: int = 0


def send_order(
    waiting: Iterable[Waiting],
    *,
    member_load: Mapping[int, int] | None = None,
    experiment_load: Mapping[int, int] | None = None,
    shares: Mapping[int, float] | None = None,
) -> Iterator[int]:
    """The experiment of each run to send, in order, until every waiting run is sent.

    ``member_load`` and ``experiment_load``: runs already in service (default none);
    ``shares``: each member's weight (default 1; must be positive)."""
    member_load, experiment_load = dict(member_load or {}), dict(experiment_load or {})
    shares = shares or {}
    left = {w.experiment: w.runs for w in waiting if w.runs > 0}
    entries = {w.experiment: w for w in waiting if w.runs > 0}
    # per member: its experiments by (-priority, in service, id); its oldest waiting one
    turns: dict[int, list[tuple[int, int, int]]] = {}
    oldest: dict[int, list[int]] = {}
    for w in entries.values():
        heapq.heappush(
            turns.setdefault(w.member, []),
            (-w.priority, experiment_load.get(w.experiment, 0), w.experiment),
        )
        heapq.heappush(oldest.setdefault(w.member, []), w.experiment)

    def share(member: int) -> Fraction:
        value = shares.get(member, 1.0)
        if not value > 0:
            raise ValueError(f"member {member}: share {value!r} is not positive")
        return Fraction(value)

    weights = {member: share(member) for member in turns}

    def member_key(member: int) -> tuple[Fraction, int, int]:
        ids = oldest[member]
        while left.get(ids[0], 0) == 0:  # finished experiments leave lazily
            heapq.heappop(ids)
        return (member_load.get(member, 0) / weights[member], ids[0], member)

    members = [member_key(m) for m in turns]
    heapq.heapify(members)
    while members:
        *_, member = heapq.heappop(members)
        priority, _, experiment = heapq.heappop(turns[member])
        yield experiment
        member_load[member] = member_load.get(member, 0) + 1
        experiment_load[experiment] = experiment_load.get(experiment, 0) + 1
        left[experiment] -= 1
        if left[experiment]:
            heapq.heappush(turns[member], (priority, experiment_load[experiment], experiment))
        if turns[member]:
            heapq.heappush(members, member_key(member))


def positions(
    waiting: Iterable[Waiting],
    *,
    member_load: Mapping[int, int] | None = None,
    experiment_load: Mapping[int, int] | None = None,
    shares: Mapping[int, float] | None = None,
) -> dict[int, int]:
    """Each waiting experiment's place in the queue: 1 + how many runs are sent before
    its next one."""
    waiting = [w for w in waiting if w.runs > 0]
    found: dict[int, int] = {}
    order = send_order(
        waiting, member_load=member_load, experiment_load=experiment_load, shares=shares
    )
    for place, experiment in enumerate(order, start=1):
        found.setdefault(experiment, place)
        if len(found) == len(waiting):
            break
    return found
