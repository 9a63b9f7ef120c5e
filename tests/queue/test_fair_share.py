"""The fair-share rule on inputs with known answers: worked by hand, and against a
brute-force reading of the rule (every choice made afresh from its definition)."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from shared.scheduling import Waiting, positions, send_order


def order(waiting, **loads) -> list[int]:  # type: ignore[no-untyped-def]
    return list(send_order(waiting, **loads))


def test_a_newcomer_goes_before_a_long_queue() -> None:
    # member 1 has 200 runs waiting and 2 in service; member 2 submits 2
    waiting = [Waiting(experiment=10, member=1, runs=200), Waiting(experiment=11, member=2, runs=2)]
    assert order(waiting, member_load={1: 2})[:4] == [11, 11, 10, 10]
    assert positions(waiting, member_load={1: 2}) == {11: 1, 10: 3}


def test_shares_weight_the_turns() -> None:
    # by hand, runs in service per unit of share: 1 has share 2, 2 has share 1;
    # ties go to the older experiment (1's)
    waiting = [Waiting(1, member=1, runs=100), Waiting(2, member=2, runs=100)]
    assert order(waiting, shares={1: 2.0, 2: 1.0})[:11] == [1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2]
    assert order(waiting, shares={1: 0.5})[:6] == [1, 2, 2, 1, 2, 2]


def test_ties_between_members_go_to_the_earlier_submission() -> None:
    waiting = [Waiting(7, member=1, runs=2), Waiting(3, member=2, runs=2)]
    assert order(waiting) == [3, 7, 3, 7]


def test_a_members_experiments_take_turns() -> None:
    waiting = [Waiting(1, 1, runs=3), Waiting(2, 1, runs=1), Waiting(3, 1, runs=2)]
    assert order(waiting) == [1, 2, 3, 1, 3, 1]
    # one already has runs in service: the others catch up first
    assert order(waiting, experiment_load={1: 2}) == [2, 3, 3, 1, 1, 1]


def test_priority_goes_first_within_a_member_only() -> None:
    waiting = [Waiting(1, 1, runs=2), Waiting(2, 1, runs=2, priority=5), Waiting(3, 2, runs=2)]
    # member 1's priority experiment leads member 1's runs; member 2 keeps its turns
    assert order(waiting) == [2, 3, 2, 3, 1, 1]


def test_every_run_once_and_in_service_counts() -> None:
    waiting = [Waiting(1, 1, runs=3), Waiting(2, 2, runs=0), Waiting(4, 2, runs=1)]
    assert sorted(order(waiting)) == [1, 1, 1, 4]
    assert order([]) == [] and positions([]) == {}


def test_a_share_must_be_positive() -> None:
    with pytest.raises(ValueError, match="share"):
        order([Waiting(1, 1, runs=1)], shares={1: 0.0})


def brute_force(waiting, member_load, experiment_load, shares) -> list[int]:  # type: ignore[no-untyped-def]
    """The rule read literally: before each run, rank every member and experiment again."""
    left = {w.experiment: w.runs for w in waiting}
    info = {w.experiment: w for w in waiting}
    member_load, experiment_load = dict(member_load), dict(experiment_load)
    out = []
    while any(left.values()):
        members = {info[e].member for e, n in left.items() if n}

        def member_rank(m: int) -> tuple:
            oldest = min(e for e, n in left.items() if n and info[e].member == m)
            return (Fraction(member_load.get(m, 0)) / Fraction(shares.get(m, 1.0)), oldest)

        member = min(members, key=member_rank)
        mine = [e for e, n in left.items() if n and info[e].member == member]
        experiment = min(mine, key=lambda e: (-info[e].priority, experiment_load.get(e, 0), e))
        out.append(experiment)
        left[experiment] -= 1
        member_load[member] = member_load.get(member, 0) + 1
        experiment_load[experiment] = experiment_load.get(experiment, 0) + 1
    return out


@pytest.mark.parametrize("seed", range(300))
def test_matches_the_brute_force_reading(seed: int) -> None:
    rng = random.Random(seed)
    members = list(range(1, rng.randint(1, 5) + 1))
    ids = rng.sample(range(1, 60), rng.randint(1, 8))
    waiting = [
        Waiting(e, rng.choice(members), rng.randint(0, 6), rng.choice([0, 0, 1, 3])) for e in ids
    ]
    member_load = {m: rng.randint(0, 4) for m in members if rng.random() < 0.6}
    experiment_load = {e: rng.randint(0, 3) for e in ids if rng.random() < 0.5}
    shares = {m: rng.choice([0.5, 1.0, 1.0, 2.0, 3.0]) for m in members}
    expected = brute_force(waiting, member_load, experiment_load, shares)
    loads = {"member_load": member_load, "experiment_load": experiment_load, "shares": shares}
    assert order(waiting, **loads) == expected
    firsts: dict[int, int] = {}
    for place, experiment in enumerate(expected, start=1):
        firsts.setdefault(experiment, place)
    assert positions(waiting, **loads) == firsts


def test_equal_shares_stay_within_one_run_of_each_other() -> None:
    rng = random.Random(1)
    waiting = [Waiting(e, member=e % 4, runs=rng.randint(30, 60)) for e in range(1, 13)]
    totals = {m: sum(w.runs for w in waiting if w.member == m) for m in range(4)}
    served = dict.fromkeys(range(4), 0)
    # while every member still has runs waiting
    for experiment in list(send_order(waiting))[: 4 * min(totals.values())]:
        served[experiment % 4] += 1
        assert max(served.values()) - min(served.values()) <= 1
