"""The batched engine: all R restarts of one optimizer advance together.

Positions are one float64 array of shape (d, R) (coordinate-major, so each coordinate
is a contiguous row); one iteration is a handful of vector operations whatever R is.
Each kernel applies exactly the update rule of the ``torch.optim`` optimizer of the
same name, with per-restart masks where restarts are in different phases (NiM's
trigger, basin hopping's search / perturb / accept). ``tests/landscapes`` checks every
kernel against its optimizer restart by restart, replaying the same noise draws.

Noise comes from ``noise(kind, rho)``, which returns one draw for every restart, shape
(d, R); a kernel uses the columns of the restarts that perturb at that iteration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.landscapes.functions import Landscape
from shared.optim.declarations import NORM_GUARD

NoiseSource = Callable[[str, float], np.ndarray]


def ball_noise(
    rng: np.random.Generator, kind: str, rho: float, shape: tuple[int, int]
) -> np.ndarray:
    """ζ for every restart: shape (d, R); the same distributions as shared.optim.noise."""
    d, r = shape
    z = rng.standard_normal(shape)
    if kind == "gaussian":
        return z * rho
    u = rng.random(r)
    return z * (rho * u ** (1.0 / d) / np.sqrt(np.einsum("ij,ij->j", z, z)))


def _norms(g: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->j", g, g))


@dataclass
class Counters:
    """Per-restart evaluation counts and basin-hopping telemetry, shape (R,) each."""

    gradient_evaluations: np.ndarray
    loss_evaluations: np.ndarray
    perturbations: np.ndarray
    accepted_hops: np.ndarray

    @classmethod
    def zeros(cls, restarts: int) -> Counters:
        return cls(*(np.zeros(restarts, dtype=np.int64) for _ in range(4)))


class Kernel:
    """One optimizer's update rule over all restarts. ``step`` updates ``w`` in place."""

    def __init__(
        self,
        landscape: Landscape,
        hyperparameters: dict[str, Any],
        restarts: int,
        noise: NoiseSource,
    ) -> None:
        self.f = landscape
        self.hp = hyperparameters
        self.noise = noise
        self.counters = Counters.zeros(restarts)

    def _direction(self, g: np.ndarray, w: np.ndarray) -> np.ndarray:
        wd = self.hp.get("weight_decay", 0.0)
        return g + wd * w if wd else g

    def step(self, w: np.ndarray) -> None:
        raise NotImplementedError

    def outcome(self, w: np.ndarray) -> np.ndarray:
        """Each restart's result (d, R): the last iterate, unless the algorithm says else."""
        return w


class SGDKernel(Kernel):
    buffer: np.ndarray | None = None

    def step(self, w: np.ndarray) -> None:
        g = self.f.gradient(w)
        self.counters.gradient_evaluations += 1
        self._descend(w, g)

    def _descend(self, w: np.ndarray, g: np.ndarray) -> None:
        d = self._direction(g, w)
        momentum = self.hp.get("momentum", 0.0)
        if momentum:
            if self.buffer is None:
                self.buffer = d.copy()
            else:
                self.buffer *= momentum
                self.buffer += d
            d = self.buffer
        w -= self.hp["lr"] * d


class NoiseInGradientKernel(Kernel):
    def step(self, w: np.ndarray) -> None:
        g = self.f.gradient(w)
        self.counters.gradient_evaluations += 1
        noisy = g + self.noise(self.hp["noise"], self.hp["rho"])
        w -= self.hp["lr"] * self._direction(noisy, w)


class NoiseInModelKernel(Kernel):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        # τ counts from the start (no perturbation before step τ) unless rate-limited.
        first = self.hp["tau"] if self.hp.get("tau_mode") == "rate_limited" else 0
        self.since = np.full(self.counters.perturbations.shape, first, dtype=np.int64)

    def step(self, w: np.ndarray) -> None:
        g = self.f.gradient(w)
        self.counters.gradient_evaluations += 1
        trigger = (_norms(g) < self.hp["eps"]) & (self.since >= self.hp["tau"])
        if trigger.any():
            z = self.noise(self.hp["noise"], self.hp["rho"])
            w[:, trigger] += z[:, trigger]
            g[:, trigger] = self.f.gradient(w[:, trigger])
            self.counters.gradient_evaluations += trigger
            self.counters.perturbations += trigger
            self.since[trigger] = 0
        w -= self.hp["lr"] * self._direction(g, w)
        self.since += 1


class SAMKernel(SGDKernel):
    def step(self, w: np.ndarray) -> None:
        g = self.f.gradient(w)
        scale = self.hp["rho"] * (1.0 / (_norms(g) + NORM_GUARD))
        g_ascent = self.f.gradient(w + scale * g)
        self.counters.gradient_evaluations += 2
        self._descend(w, g_ascent)


class BasinHoppingKernel(Kernel):
    """BH / MBH with per-restart phase, search length and incumbent (see basin_hopping)."""

    def __init__(
        self,
        landscape: Landscape,
        hyperparameters: dict[str, Any],
        restarts: int,
        noise: NoiseSource,
        *,
        perturbation: str,
        monotonic: bool,
    ) -> None:
        super().__init__(landscape, hyperparameters, restarts, noise)
        self.perturbation = perturbation
        self.monotonic = monotonic
        self.perturbing = np.zeros(restarts, dtype=bool)
        self.search_steps = np.zeros(restarts, dtype=np.int64)
        self.has_incumbent = np.zeros(restarts, dtype=bool)
        self.incumbent: np.ndarray | None = None

    def step(self, w: np.ndarray) -> None:
        hp, c = self.hp, self.counters
        perturbing = self.perturbing
        searching = np.ones_like(perturbing)
        if self.perturbation == "model" and perturbing.any():
            z = self.noise(hp["noise"], hp["rho"])
            w[:, perturbing] += z[:, perturbing]
            self._start_search(perturbing)
        g = self.f.gradient(w)
        c.gradient_evaluations += 1
        if self.perturbation == "gradient" and perturbing.any():
            z = self.noise(hp["noise"], hp["rho"])
            w[:, perturbing] -= hp["lr"] * self._direction(g + z, w)[:, perturbing]
            self._start_search(perturbing)
            searching = ~perturbing

        converged = searching & (_norms(g) < hp["eps"])
        moving = searching & ~converged
        if moving.any():
            w[:, moving] -= hp["lr"] * self._direction(g, w)[:, moving]
            self.search_steps += moving
        ended = converged | (moving & (self.search_steps >= hp["tau"]))
        self.perturbing = ended
        if ended.any():
            self._end_search(w, ended)

    def outcome(self, w: np.ndarray) -> np.ndarray:
        """The incumbent w of the algorithm, not the candidate whose search is under way.

        (Restarts whose first search has not ended yet report their iterate.)
        """
        if self.incumbent is None:
            return w
        return np.where(self.has_incumbent, self.incumbent, w)

    def _start_search(self, rows: np.ndarray) -> None:
        self.search_steps[rows] = 0
        self.counters.perturbations += rows

    def _end_search(self, w: np.ndarray, ended: np.ndarray) -> None:
        if self.incumbent is None:
            self.incumbent = w.copy()
        first = ended & ~self.has_incumbent
        self.incumbent[:, first] = w[:, first]
        self.has_incumbent |= first
        hops = np.flatnonzero(ended & ~first)
        if hops.size == 0:
            return
        if self.monotonic:
            self.counters.loss_evaluations[hops] += 2
            better = self.f.value(w[:, hops]) < self.f.value(self.incumbent[:, hops])
            accepted, rejected = hops[better], hops[~better]
            w[:, rejected] = self.incumbent[:, rejected]
        else:
            accepted = hops
        self.incumbent[:, accepted] = w[:, accepted]
        self.counters.accepted_hops[accepted] += 1


def _basin_hopping(perturbation: str, monotonic: bool) -> Callable[..., Kernel]:
    def make(*args: Any) -> Kernel:
        return BasinHoppingKernel(*args, perturbation=perturbation, monotonic=monotonic)

    return make


KERNELS: dict[str, Callable[..., Kernel]] = {
    "sgd": SGDKernel,
    "nig_sgd": NoiseInGradientKernel,
    "nim_sgd": NoiseInModelKernel,
    "sam": SAMKernel,
    "nig_bh": _basin_hopping("gradient", monotonic=False),
    "nim_bh": _basin_hopping("model", monotonic=False),
    "nig_mbh": _basin_hopping("gradient", monotonic=True),
    "nim_mbh": _basin_hopping("model", monotonic=True),
}


@dataclass
class BatchedRun:
    """End points (R, 2), per-restart counters, and a subsampled path (K, R, 2).

    ``end_points`` are each restart's outcome (the incumbent, for basin hopping);
    ``last_iterates`` the positions after the final step.
    """

    end_points: np.ndarray
    last_iterates: np.ndarray
    counters: Counters
    path: np.ndarray
    path_iterations: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)


def run_batched(
    landscape: Landscape,
    optimizer: str,
    starts: np.ndarray,
    iterations: int,
    hyperparameters: dict[str, Any],
    noise: NoiseSource,
    *,
    path_points: int = 0,
    on_progress: Callable[[float], None] | None = None,
) -> BatchedRun:
    """Advance every restart ``iterations`` steps of ``optimizer`` from ``starts`` (R, 2).

    ``hyperparameters`` must be complete and validated (see
    ``shared.optim.resolve_hyperparameters``). ``path_points`` > 0 keeps that many
    evenly spaced snapshots of all restarts (start and end included) for figures.
    ``on_progress(fraction)`` is called about 20 times along the way (it may raise to
    abandon the run, e.g. on cancellation).
    """
    w = np.array(starts, dtype=np.float64).T.copy()
    kernel = KERNELS[optimizer](landscape, hyperparameters, w.shape[1], noise)
    keep = (
        np.unique(np.linspace(0, iterations, path_points).round().astype(int))
        if path_points > 0
        else np.zeros(0, dtype=int)
    )
    snapshots = []
    next_keep = 0
    report_every = max(1, iterations // 20) if on_progress is not None else iterations + 1
    with np.errstate(all="ignore"):  # diverged restarts become inf/nan, classified `else`
        for t in range(iterations + 1):
            if next_keep < keep.size and keep[next_keep] == t:
                snapshots.append(w.T.copy())
                next_keep += 1
            if t < iterations:
                kernel.step(w)
                if (t + 1) % report_every == 0 and on_progress is not None:
                    on_progress((t + 1) / iterations)
    path = np.stack(snapshots) if snapshots else np.zeros((0, w.shape[1], w.shape[0]))
    return BatchedRun(
        end_points=kernel.outcome(w).T.copy(),
        last_iterates=w.T.copy(),
        counters=kernel.counters,
        path=path,
        path_iterations=keep,
    )
