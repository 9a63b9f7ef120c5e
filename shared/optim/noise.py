"""Noise vectors for the noise-injection and basin-hopping optimizers.

Two kinds, selectable per optimizer (``noise=`` hyperparameter):

* ``ball`` (default): ζ ~ U(B₀(ρ)), uniform in the d-dimensional ball of radius ρ:
  a direction uniform on the unit sphere (a normalised standard normal vector) times
  the radius ρ·u^(1/d), u ~ U(0, 1).
* ``gaussian``: ζ ~ N(0, ρ²·I), i.e. ρ is the per-coordinate standard deviation.
"""

from __future__ import annotations

from typing import Literal

import torch

NoiseKind = Literal["ball", "gaussian"]
NOISE_KINDS: tuple[NoiseKind, ...] = ("ball", "gaussian")


def sample_noise(
    kind: str,
    rho: float,
    dimension: int,
    generator: torch.Generator,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """One noise vector of shape ``(dimension,)`` drawn from ``generator``."""
    z = torch.randn(dimension, generator=generator, dtype=dtype, device=device)
    if kind == "gaussian":
        return z.mul_(rho)
    if kind != "ball":
        raise ValueError(f"noise: unknown kind {kind!r}; expected one of {NOISE_KINDS}")
    u = torch.rand(1, generator=generator, dtype=dtype, device=device)
    radius = rho * u.pow(1.0 / dimension)
    norm = torch.linalg.vector_norm(z)
    return z.mul_(radius / norm)
