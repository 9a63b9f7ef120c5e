"""Seeds of a trajectory, derived so that optimizers are compared in a paired design.

Trajectory i of *every* optimizer gets the same initial weights and the same data order
(they depend on the experiment seed and i only); the noise an optimizer draws depends
on the optimizer too, so two optimizers never share a noise stream by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shared.landscapes.study import stable_id


@dataclass(frozen=True)
class TrajectorySeeds:
    init: int
    data: int
    noise: int


def _draw(*entropy: int) -> int:
    return int(
        np.random.SeedSequence(list(entropy)).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)
    )


def step_seed(data_seed: int, step: int) -> int:
    """The seed of a training step's augmentation draws: a function of the trajectory's
    data seed and the step alone, so a resumed trajectory draws what it drew before."""
    return _draw(data_seed, step, 4)


def trajectory_seeds(experiment_seed: int, optimizer: str, trajectory: int) -> TrajectorySeeds:
    return TrajectorySeeds(
        init=_draw(experiment_seed, trajectory, 1),
        data=_draw(experiment_seed, trajectory, 2),
        noise=_draw(experiment_seed, trajectory, 3, stable_id(optimizer)),
    )
