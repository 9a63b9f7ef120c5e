"""Basin assignment: the batched polish against a slow, obvious gradient-flow integration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from shared.landscapes import ELSE, landscape
from shared.landscapes.basins import POLISH_STEPS, assign_basins, classify
from shared.landscapes.catalog import refine_minimum
from shared.landscapes.study import stationary_distribution


def flow_basin(name: str, start: np.ndarray) -> int:
    """Integrate dx/dt = −∇f(x) (adaptive RK45, tight tolerances) until it settles, and
    name the nearest catalog minimum, or -1 if it ends nowhere near one."""
    f = landscape(name)

    locations = np.array([m.location for m in f.minima])

    def field(_t: float, x: np.ndarray) -> np.ndarray:
        return -f.gradient(x.reshape(2, 1))[:, 0]

    def arrived(_t: float, x: np.ndarray) -> float:
        return float(np.linalg.norm(locations - x, axis=1).min() - 1e-4)

    arrived.terminal = True  # type: ignore[attr-defined]
    # LSODA: the flow is stiff near sharp minima (Hessian eigenvalues up to ~130).
    flow = solve_ivp(
        field, (0.0, 100.0), start, method="LSODA", rtol=1e-8, atol=1e-10, events=arrived
    )
    distance = np.linalg.norm(locations - flow.y[:, -1], axis=1)
    return int(distance.argmin()) if distance.min() < 1e-3 else -1


@pytest.mark.parametrize("name", ["himmelblau", "six_hump_camel", "three_hump_camel"])
def test_polish_follows_the_gradient_flow(name: str) -> None:
    f = landscape(name)
    (x0, x1), (y0, y1) = f.domain
    rng = np.random.default_rng(7)
    points = np.column_stack((rng.uniform(x0, x1, 60), rng.uniform(y0, y1, 60)))
    assigned = assign_basins(f, points, 0.1).basins
    reference = np.array([flow_basin(name, p) for p in points])
    # A point within rounding of a basin boundary may go either way; nothing else may.
    assert (assigned != reference).sum() <= 1, points[assigned != reference]
    assert (assigned >= 0).sum() >= 59


def test_near_misses_are_assigned_and_marked_not_converged() -> None:
    f = landscape("himmelblau")
    labels = [m.label for m in f.minima]
    g2 = labels.index("G2")  # (3, 2)
    maximum = refine_minimum(f, (-0.2708, -0.9230))  # Newton finds any stationary point
    assert (np.linalg.eigvalsh(f.hessian(maximum)) < 0).all()
    ends = np.array(
        [
            [3.05, 2.0],  # 0.05 away: its basin, converged
            [3.0, 2.2],  # 0.2 away: its basin, not converged at r = 0.1
            [np.nan, 1.0],  # diverged
            [np.inf, np.inf],
            maximum,  # the local maximum: no basin
        ]
    )
    result = assign_basins(f, ends, 0.1)
    assert result.basins.tolist() == [g2, g2, -1, -1, -1]
    assert result.converged.tolist() == [True, False, False, False, False]
    assert assign_basins(f, ends, 0.25).converged.tolist()[:2] == [True, True]
    # The capture-radius view alone, still selectable.
    radius = assign_basins(f, ends, 0.1, "radius")
    assert radius.basins.tolist() == classify(ends, f.minima, 0.1).tolist() == [g2, -1, -1, -1, -1]
    assert radius.polish_gradient_evaluations.sum() == 0


def test_a_saddle_point_is_else() -> None:
    f = landscape("six_hump_camel")
    # The saddle between the two global minima, at the origin: ∇f = 0, Hessian indefinite.
    assert np.allclose(f.gradient(np.zeros((2, 1))), 0.0)
    assert assign_basins(f, np.zeros((1, 2)), 0.1).basins.tolist() == [-1]


def test_polish_is_bounded_and_counted() -> None:
    f = landscape("rosenbrock")
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = f.domain
    points = np.column_stack((rng.uniform(x0, x1, 300), rng.uniform(y0, y1, 300)))
    result = assign_basins(f, points, 0.1)
    assert result.polish_steps.max() <= POLISH_STEPS
    # A gradient and a Hessian per step (and per step that found no descent).
    cost = result.polish_gradient_evaluations
    assert (cost >= 2 * result.polish_steps).all() and (cost <= 2 * (result.polish_steps + 1)).all()
    assert (result.basins == 0).all()  # one minimum, and the valley leads there
    at_minimum = assign_basins(f, np.array([f.minima[0].location]), 0.1)
    assert at_minimum.polish_steps.tolist() == [0]


def test_sam_on_himmelblau_is_not_read_as_avoiding_a_minimum() -> None:
    """SAM's 2-cycle around the sharpest minimum sits just outside the 0.1 radius: the
    radius view calls those restarts `else`, basin assignment puts them where they are."""
    result = stationary_distribution("himmelblau", "sam", restarts=500, seed=0)
    assert result.counts[ELSE] <= 5  # at most 1%
    radius = stationary_distribution("himmelblau", "sam", restarts=500, seed=0, assignment="radius")
    assert radius.counts[ELSE] > 25
    # Those are end points in a basin that did not settle within the capture radius.
    assert result.converged == 500 - radius.counts[ELSE]
    moved = radius.basins == -1
    assert (result.basins[moved] >= 0).all()
