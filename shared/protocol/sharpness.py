"""Sharpness of a model: the largest eigenvalue of the Hessian of the training loss.

Estimated by power iteration on Hessian-vector products (Pearlmutter's trick: the
gradient of ``g·v``, with ``g`` the gradient built with ``create_graph``), over one fixed
batch of training examples, from a start vector drawn from its own seeded generator.

Measuring must not change the trajectory it measures:

* the model runs in eval mode (no dropout, BatchNorm uses and keeps its running
  statistics) and goes back to the mode it was in;
* the start vector comes from a private ``torch.Generator``, never the global RNG;
* gradients come from ``torch.autograd.grad``, so no parameter's ``.grad`` is touched;
* attention runs on PyTorch's math kernel, the one that supports double backward.

Cost, counted apart from the optimizer's budget: one gradient evaluation for the gradient
graph and two per Hessian-vector product (a backward pass through that graph, which is
about twice the size of the forward pass's).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel

#: Gradient evaluations one Hessian-vector product is counted as.
GRADIENT_EVALUATIONS_PER_PRODUCT = 2


@dataclass(frozen=True)
class SharpnessSettings:
    """How sharpness is measured at each evaluation point.

    ``iterations``: the most power-iteration steps (each one Hessian-vector product);
    ``batch_size``: fixed training examples the loss is taken over; ``tolerance``: stop
    once the eigenvalue estimate changes by less than this, relative to its size;
    ``seed``: the start vector's seed (the same for every model, so estimates compare).
    """

    iterations: int = 20
    batch_size: int = 256
    tolerance: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.iterations < 1:
            raise ValueError(f"sharpness iterations must be ≥ 1, got {self.iterations}")
        if self.batch_size < 1:
            raise ValueError(f"sharpness batch_size must be ≥ 1, got {self.batch_size}")
        if not self.tolerance >= 0:
            raise ValueError(f"sharpness tolerance must be ≥ 0, got {self.tolerance}")


@dataclass(frozen=True)
class SharpnessEstimate:
    """``eigenvalue``: the largest Hessian eigenvalue (None when the loss or a product is
    not finite); ``products``: Hessian-vector products computed; ``gradient_evaluations``:
    their cost in gradient evaluations, gradient graph included."""

    eigenvalue: float | None
    products: int
    gradient_evaluations: int


def largest_eigenvalue(
    hessian_vector_product: Callable[[torch.Tensor], torch.Tensor],
    dimension: int,
    settings: SharpnessSettings,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> tuple[float | None, int]:
    """The largest (algebraic) eigenvalue of a symmetric operator given by its products.

    Power iteration converges to the eigenvalue of largest magnitude; when that one is
    negative (a saddle or a maximum), a second run on ``H − λI`` finds the largest one.
    Returns the eigenvalue (None if a product is not finite) and the products used.
    """
    generator = torch.Generator().manual_seed(settings.seed)
    start = torch.randn(dimension, generator=generator, dtype=torch.float64)
    start = start.to(device=device, dtype=dtype)
    dominant, used = _power_iteration(hessian_vector_product, start, settings)
    if dominant is None or dominant >= 0:
        return dominant, used
    shifted, more = _power_iteration(
        lambda v: hessian_vector_product(v) - dominant * v, start, settings
    )
    return (None if shifted is None else shifted + dominant), used + more


def _power_iteration(
    product: Callable[[torch.Tensor], torch.Tensor],
    start: torch.Tensor,
    settings: SharpnessSettings,
) -> tuple[float | None, int]:
    vector = start / start.norm()
    estimate: float | None = None
    for used in range(1, settings.iterations + 1):
        image = product(vector)
        rayleigh = float(torch.dot(vector, image))
        norm = float(image.norm())
        if not (math.isfinite(rayleigh) and math.isfinite(norm)):
            return None, used
        if norm == 0.0:  # the vector is in the kernel: H v = 0
            return rayleigh, used
        converged = estimate is not None and abs(rayleigh - estimate) <= settings.tolerance * max(
            abs(rayleigh), 1e-12
        )
        estimate = rayleigh
        if converged:
            break
        vector = image / norm
    return estimate, used


def model_sharpness(
    model: nn.Module,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    inputs: torch.Tensor | dict[str, torch.Tensor],
    targets: torch.Tensor,
    settings: SharpnessSettings,
) -> SharpnessEstimate:
    """The largest Hessian eigenvalue of ``loss(model(inputs), targets)`` with respect to
    the trainable parameters, the model in eval mode; the model's mode, its buffers, its
    parameters' ``.grad`` and the global RNG are as they were when it returns."""
    parameters = [p for p in model.parameters() if p.requires_grad]
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad(), sdpa_kernel([SDPBackend.MATH]):
            value = loss(model(inputs).float(), targets)
            if not torch.isfinite(value):
                return SharpnessEstimate(None, 0, 1)
            # Parameters the loss does not reach (an unused pooler) have zero rows.
            gradients = torch.autograd.grad(
                value, parameters, create_graph=True, materialize_grads=True
            )
            flat_gradient = torch.cat([g.reshape(-1) for g in gradients])

            def hessian_vector_product(vector: torch.Tensor) -> torch.Tensor:
                if not flat_gradient.requires_grad:  # a loss linear in the parameters
                    return torch.zeros_like(vector)
                products = torch.autograd.grad(
                    flat_gradient,
                    parameters,
                    grad_outputs=vector,
                    retain_graph=True,
                    materialize_grads=True,
                )
                return torch.cat([h.reshape(-1) for h in products]).detach()

            eigenvalue, used = largest_eigenvalue(
                hessian_vector_product,
                flat_gradient.numel(),
                settings,
                device=flat_gradient.device,
                dtype=flat_gradient.dtype,
            )
    finally:
        model.train(was_training)
    return SharpnessEstimate(eigenvalue, used, 1 + GRADIENT_EVALUATIONS_PER_PRODUCT * used)
