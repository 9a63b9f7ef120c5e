"""Minima catalogs: refined locations, values and Hessian eigenvalues (sharpness).

Nothing here is typed in except approximate locations: each is refined by Newton's
method on the exact (symbolic) gradient and Hessian until ‖∇f‖ is at rounding level,
and its value and eigenvalues are computed at the refined point. A seed that does not
converge to a strict local minimum inside the domain is a programming error.

Order: global minima first, then local; within each group flatter first (smaller
largest Hessian eigenvalue); ties by location. Labels follow that order: G1, G2, …, L1, …
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from shared.landscapes.functions import Landscape

#: Values within this (relative) tolerance of the lowest one are global minima.
GLOBAL_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Minimum:
    label: str
    location: tuple[float, float]
    value: float
    eigenvalues: tuple[float, float]
    is_global: bool

    @property
    def sharpness(self) -> float:
        """The largest Hessian eigenvalue."""
        return max(self.eigenvalues)

    def describe(self) -> str:
        x, y = self.location
        return f"{self.label} ({x:.3f}, {y:.3f})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "location": list(self.location),
            "value": self.value,
            "eigenvalues": list(self.eigenvalues),
            "global": self.is_global,
        }


def refine_minimum(
    landscape: Landscape, near: tuple[float, float], iterations: int = 50
) -> np.ndarray:
    """Newton's method from ``near`` on the exact gradient and Hessian."""
    point = np.asarray(near, dtype=float)
    for _ in range(iterations):
        grad = landscape.gradient(point.reshape(2, 1))[:, 0]
        if np.linalg.norm(grad) < 1e-13:
            break
        point = point - np.linalg.solve(landscape.hessian(point), grad)
    return point


def build_catalog(landscape: Landscape) -> tuple[Minimum, ...]:
    refined = []
    for near in landscape.minima_near:
        point = refine_minimum(landscape, near)
        eigenvalues = np.linalg.eigvalsh(landscape.hessian(point))
        grad = landscape.gradient(point.reshape(2, 1))[:, 0]
        if not (
            np.all(eigenvalues > 0)
            and np.linalg.norm(grad) < 1e-8
            and landscape.contains(point.reshape(2, 1))[0]
            and np.linalg.norm(point - np.asarray(near)) < 0.05
        ):
            raise ValueError(
                f"{landscape.name}: no strict minimum near {near} (got {point.tolist()})"
            )
        value = float(landscape.value(point.reshape(2, 1))[0])
        refined.append((point, value, tuple(float(e) for e in eigenvalues)))

    lowest = min(value for _, value, _ in refined)
    scale = max(1.0, abs(lowest))

    def is_global(value: float) -> bool:
        return value - lowest <= GLOBAL_TOLERANCE * scale

    refined.sort(
        key=lambda r: (
            not is_global(r[1]),
            round(max(r[2]), 9),
            round(r[0][0], 9),
            round(r[0][1], 9),
        )
    )
    minima: list[Minimum] = []
    counts = {True: 0, False: 0}
    for point, value, eigenvalues in refined:
        glob = is_global(value)
        counts[glob] += 1
        minima.append(
            Minimum(
                label=f"{'G' if glob else 'L'}{counts[glob]}",
                location=(float(point[0]), float(point[1])),
                value=value,
                eigenvalues=(eigenvalues[0], eigenvalues[1]),
                is_global=glob,
            )
        )
    return tuple(minima)
