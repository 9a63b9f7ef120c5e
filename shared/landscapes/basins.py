"""Which minimum's basin of attraction holds each end point, and whether it settled there.

An optimizer that oscillates around a sharp minimum (SAM's 2-cycle, a noisy method's
jitter) ends a little away from it; a fixed capture radius would call it ``else``.
Basin assignment asks instead where the end point *flows*: a short, deterministic
polish from the end point, run over every restart at once, in the batched engine's
style:

* damped Newton steps d = (H + μI)⁻¹∇f, i.e. implicit Euler steps of the gradient flow
  dx/dt = −∇f with time step 1/μ: stable on the stiff directions of a sharp minimum or
  a narrow valley, where plain gradient descent would need thousands of steps, and
  close to the flow's path, unlike free Newton steps;
* μ chosen per point: raised until H + μI is positive definite, the step is at most
  ``MAX_MOVE`` long and f decreases enough (Armijo), lowered after each accepted step
  (so the last stretch is Newton's method), so the polish moves downhill in short
  steps rather than jumping over a ridge into another basin;
* a point is assigned once it lies within ``SETTLE_RADIUS`` of a catalog minimum.

``else`` is left for end points that are not finite (diverged), and for polishes that do
not reach a catalog minimum within the step limit: a saddle, a maximum, a flat plateau,
or a minimum outside the catalog. The polish costs gradient (and Hessian) evaluations of
its own, counted apart from the optimizer's budget and reported.

Beside the basin, ``converged`` keeps the capture-radius view: the end point itself lies
within the capture radius of its assigned minimum, i.e. the run settled there.
:func:`classify` is that view alone (nearest minimum within the radius, else ``else``),
still selectable as an assignment method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from shared.landscapes.catalog import Minimum
from shared.landscapes.functions import Landscape

#: How end points are assigned: by basin of attraction (default) or capture radius alone.
AssignmentMethod = Literal["basin", "radius"]
ASSIGNMENT_METHODS: tuple[str, ...] = ("basin", "radius")
#: A polish stops, assigned, within this distance of a catalog minimum.
SETTLE_RADIUS = 1e-4
#: A polish step moves at most this far (domain units).
MAX_MOVE = 0.05
#: Polish steps per end point at most; one that has not settled by then is ``else``.
POLISH_STEPS = 500
#: Halvings of a rejected step before the polish gives up on that point.
BACKTRACKS = 40
#: Below this gradient norm a point where the Hessian is not positive definite is a
#: saddle or a maximum: unassigned.
SADDLE_GRADIENT = 1e-6
#: A step shorter than this (relative to the point's size) counts as no progress.
MIN_MOVE = 1e-13
#: Armijo's sufficient-decrease constant.
ARMIJO = 1e-4


@dataclass(frozen=True)
class BasinAssignment:
    """Per restart: the assigned minimum's index (-1 = ``else``), whether the end point is
    within the capture radius of it, and the polish's cost (zero for ``radius``)."""

    method: str
    basins: np.ndarray  # (R,) int
    converged: np.ndarray  # (R,) bool
    polish_steps: np.ndarray  # (R,) int
    polish_gradient_evaluations: np.ndarray  # (R,) int

    @property
    def restarts(self) -> int:
        return int(self.basins.size)


def nearest_minimum(points: np.ndarray, minima: Sequence[Minimum]) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest catalog minimum to each of ``points`` (R, 2), and its distance
    (inf for non-finite points)."""
    locations = np.array([m.location for m in minima])  # (M, 2)
    with np.errstate(invalid="ignore", over="ignore"):
        distances = np.linalg.norm(points[:, None, :] - locations[None, :, :], axis=2)
    distances = np.where(np.isfinite(distances), distances, np.inf)
    nearest = np.argmin(distances, axis=1)
    return nearest, distances[np.arange(len(points)), nearest]


def classify(
    end_points: np.ndarray, minima: Sequence[Minimum], capture_radius: float
) -> np.ndarray:
    """The capture-radius view: index of the nearest minimum within ``capture_radius`` of
    each end point (R,), or -1 for ``else`` (non-finite end points included)."""
    nearest, distance = nearest_minimum(end_points, minima)
    return np.where(distance <= capture_radius, nearest, -1)


def polish(
    f: Landscape,
    end_points: np.ndarray,
    minima: Sequence[Minimum],
    *,
    steps: int = POLISH_STEPS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Follow the descent from each end point (R, 2) to a catalog minimum.

    Returns the minimum's index per restart (-1 where none was reached), the polish
    steps taken and the gradient evaluations spent (a Hessian evaluation is counted as
    one more). Deterministic; at most ``steps`` iterations over the still-active points.
    """
    restarts = len(end_points)
    x = np.array(end_points, dtype=np.float64).T.copy()  # (2, R)
    basins = np.full(restarts, -1, dtype=np.int64)
    taken = np.zeros(restarts, dtype=np.int64)
    cost = np.zeros(restarts, dtype=np.int64)
    shift = np.full(restarts, np.nan)  # each point's damping μ, set on its first step
    active = np.flatnonzero(np.isfinite(x).all(axis=0))
    with np.errstate(all="ignore"):
        for iteration in range(steps + 1):
            nearest, distance = nearest_minimum(x[:, active].T, minima)
            settled = distance <= SETTLE_RADIUS
            basins[active[settled]] = nearest[settled]
            active = active[~settled]
            if active.size == 0 or iteration == steps:
                break
            active = active[_descend(f, x, active, cost, shift)]
            taken[active] += 1
    return basins, taken, cost


def _descend(
    f: Landscape, x: np.ndarray, active: np.ndarray, cost: np.ndarray, shift: np.ndarray
) -> np.ndarray:
    """One damped-Newton (implicit Euler) step for the ``active`` columns of ``x``, in
    place; returns the mask of points that moved (the others are stuck)."""
    xa = x[:, active]
    g = f.gradient(xa)
    h = f.hessians(xa)  # (n, 2, 2)
    cost[active] += 2
    value = f.value(xa)
    a, b, c = h[:, 0, 0], h[:, 0, 1], h[:, 1, 1]
    gnorm = np.sqrt(np.einsum("ij,ij->j", g, g))
    # The Hessian's smallest eigenvalue: below zero the shift must exceed −λ_min.
    lowest = 0.5 * (a + c) - np.sqrt(0.25 * (a - c) ** 2 + b * b)
    # At a saddle or a maximum (gradient ~ 0, Hessian indefinite) the flow is undecided:
    # the point is left unassigned rather than pushed off by rounding noise.
    at_saddle = (lowest <= 0) & (gnorm < SADDLE_GRADIENT)
    mu = shift[active]
    first = np.isnan(mu)
    mu[first] = gnorm[first] / MAX_MOVE
    mu = np.maximum(mu, -2.0 * lowest)
    moved = np.zeros(active.size, dtype=bool)
    pending = np.flatnonzero(np.isfinite(gnorm) & (gnorm > 0) & ~at_saddle)
    for _ in range(BACKTRACKS):
        if pending.size == 0:
            break
        m = mu[pending]
        ma, mb, mc, gp = a[pending] + m, b[pending], c[pending] + m, g[:, pending]
        det = ma * mc - mb * mb
        d = np.stack(((mc * gp[0] - mb * gp[1]) / det, (ma * gp[1] - mb * gp[0]) / det))
        length = np.sqrt(np.einsum("ij,ij->j", d, d))
        slope = np.einsum("ij,ij->j", gp, d)
        candidate = xa[:, pending] - d
        ok = (
            (ma > 0)
            & (det > 0)
            & (length <= MAX_MOVE * (1 + 1e-12))
            & (f.value(candidate) <= value[pending] - ARMIJO * slope)
        )
        done = pending[ok]
        xa[:, done] = candidate[:, ok]
        # A step below rounding level is no progress (a stationary point off the catalog).
        scale = 1.0 + np.abs(xa[:, done]).max(axis=0)
        moved[done] = length[ok] > MIN_MOVE * scale
        mu[done] = mu[done] / 4.0  # closer to Newton next time
        failed = pending[~ok]
        mu[failed] = np.maximum(4.0 * mu[failed], 1e-12)
        pending = failed
    shift[active] = mu
    x[:, active] = xa
    return moved


def assign_basins(
    f: Landscape,
    end_points: np.ndarray,
    capture_radius: float,
    method: str = "basin",
    *,
    steps: int = POLISH_STEPS,
    polished: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> BasinAssignment:
    """Assign each end point (R, 2) to a minimum of ``f``'s catalog (see the module).

    ``polished``: :func:`polish`'s result for these end points, when the caller kept it
    (it does not depend on the capture radius, so a service can reuse it)."""
    minima = f.minima
    points = np.asarray(end_points, dtype=np.float64)
    if method == "radius":
        basins = classify(points, minima, capture_radius)
        zeros = np.zeros(len(points), dtype=np.int64)
        return BasinAssignment(method, basins, basins >= 0, zeros, zeros.copy())
    if method != "basin":
        raise ValueError(f"assignment: expected one of {', '.join(ASSIGNMENT_METHODS)}")
    basins, taken, cost = polished or polish(f, points, minima, steps=steps)
    locations = np.array([m.location for m in minima])
    with np.errstate(invalid="ignore"):
        offset = np.linalg.norm(points - locations[np.maximum(basins, 0)], axis=1)
    converged = (basins >= 0) & (offset <= capture_radius)
    return BasinAssignment(method, basins, converged, taken, cost)
