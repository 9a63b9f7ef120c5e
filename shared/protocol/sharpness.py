"""Sharpness of a model: the largest eigenvalue of the Hessian of the training loss.

Estimated by the Lanczos method on Hessian-vector products (Pearlmutter's trick: the
gradient of ``g·v``, with ``g`` the gradient built with ``create_graph``), over one fixed
batch of training examples, from a start vector drawn from its own seeded generator.

Why Lanczos and not power iteration: power iteration finds the eigenvalue of largest
*magnitude*. Away from a minimum the Hessian has negative eigenvalues as large as or
larger than its top positive one, and there power iteration stalls between ±λ or returns
the wrong end. Lanczos builds the Krylov space of the start vector, whose Ritz values
approach both ends of the spectrum at once, so the largest *algebraic* eigenvalue (and,
for free, the most negative one) converge in a few dozen products whatever the signs.
Every Lanczos vector is reorthogonalised against all earlier ones (twice, in float64),
so no spurious copies of converged eigenvalues appear.

Convergence is judged by the residual ‖Hv − θv‖ of the Ritz pair (θ, v), which Lanczos
gives without another product (β_j·|last component of the Ritz vector|): it must fall to
``tolerance`` × the largest |Ritz value| (an estimate of ‖H‖). A value that did not get
there within the product budget is returned with ``converged=False``; the statistics
leave such models out.

Measuring must not change the trajectory it measures:

* the model runs in eval mode (no dropout, BatchNorm uses and keeps its running
  statistics) and goes back to the mode it was in;
* the start vector comes from a private ``torch.Generator``, never the global RNG;
* gradients come from ``torch.autograd.grad``, so no parameter's ``.grad`` is touched;
* attention runs on PyTorch's math kernel, the one that supports double backward;
* on a GPU, convolutions and matrix products run in full float32, not TF32 (which
  PyTorch allows cuDNN by default): TF32's 10-bit mantissas would put errors of about
  10⁻³ into every product, the size of the convergence tolerance.

Cost, counted apart from the optimizer's budget: one gradient evaluation for the gradient
graph and two per Hessian-vector product (a backward pass through that graph, which is
about twice the size of the forward pass's). Memory: the Lanczos basis holds one float64
vector per product (``iterations`` × parameters × 8 bytes at most).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel

#: Gradient evaluations one Hessian-vector product is counted as.
GRADIENT_EVALUATIONS_PER_PRODUCT = 2


@dataclass(frozen=True)
class SharpnessSettings:
    """How sharpness is measured at each evaluation point.

    ``iterations``: the most Lanczos steps (each one Hessian-vector product);
    ``batch_size``: fixed training examples the loss is taken over; ``tolerance``: a Ritz
    value has converged once its residual ‖Hv − θv‖ is at most this times the largest
    |Ritz value|; ``seed``: the start vector's seed (the same for every model, so
    estimates compare); ``min_eigenvalue``: also estimate the most negative eigenvalue
    (the saddle measure), iterating until both ends converge or the budget is spent.
    """

    iterations: int = 40
    batch_size: int = 256
    tolerance: float = 1e-3
    seed: int = 0
    min_eigenvalue: bool = False

    def __post_init__(self) -> None:
        if self.iterations < 1:
            raise ValueError(f"sharpness iterations must be ≥ 1, got {self.iterations}")
        if self.batch_size < 1:
            raise ValueError(f"sharpness batch_size must be ≥ 1, got {self.batch_size}")
        if not self.tolerance >= 0:
            raise ValueError(f"sharpness tolerance must be ≥ 0, got {self.tolerance}")


@dataclass(frozen=True)
class Spectrum:
    """What Lanczos found: the extreme Ritz values with their residuals ‖Hv − θv‖.

    ``largest``/``smallest`` are None when a product was not finite; ``products`` counts
    the Hessian-vector products used."""

    largest: float | None
    largest_residual: float
    smallest: float | None
    smallest_residual: float
    products: int
    tolerance: float

    @property
    def scale(self) -> float:
        """The largest |Ritz value|: what the residuals are measured against."""
        values = [abs(v) for v in (self.largest, self.smallest) if v is not None]
        return max(values, default=0.0)

    def _converged(self, value: float | None, residual: float) -> bool:
        return value is not None and residual <= self.tolerance * self.scale

    @property
    def largest_converged(self) -> bool:
        return self._converged(self.largest, self.largest_residual)

    @property
    def smallest_converged(self) -> bool:
        return self._converged(self.smallest, self.smallest_residual)


@dataclass(frozen=True)
class SharpnessEstimate:
    """``eigenvalue``: the largest Hessian eigenvalue (None when the loss or a product is
    not finite); ``converged``: whether its residual met the tolerance within the budget
    (None when there is no value); ``products``: Hessian-vector products computed;
    ``gradient_evaluations``: their cost in gradient evaluations, gradient graph included;
    ``min_eigenvalue``: the most negative eigenvalue, when asked for and converged."""

    eigenvalue: float | None
    products: int
    gradient_evaluations: int
    converged: bool | None = None
    min_eigenvalue: float | None = None


def extreme_eigenvalues(
    hessian_vector_product: Callable[[torch.Tensor], torch.Tensor],
    dimension: int,
    settings: SharpnessSettings,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> Spectrum:
    """The largest (algebraic) and smallest eigenvalues of a symmetric operator given by
    its products, by Lanczos with full reorthogonalisation.

    Stops when the largest Ritz value has converged (and the smallest too, with
    ``settings.min_eigenvalue``), when the Krylov space stops growing (then the Ritz values
    are eigenvalues), or after ``settings.iterations`` products.
    """
    generator = torch.Generator().manual_seed(settings.seed)
    start = torch.randn(dimension, generator=generator, dtype=torch.float64).to(device)
    steps = min(settings.iterations, dimension)
    basis = torch.empty((steps, dimension), dtype=torch.float64, device=device)
    basis[0] = start / start.norm()
    alphas: list[float] = []
    betas: list[float] = []
    spectrum = Spectrum(None, math.inf, None, math.inf, 0, settings.tolerance)
    for j in range(steps):
        image = hessian_vector_product(basis[j].to(dtype)).to(torch.float64)
        if not bool(torch.isfinite(image).all()):
            return Spectrum(None, math.inf, None, math.inf, j + 1, settings.tolerance)
        alphas.append(float(basis[j] @ image))
        done = basis[: j + 1]
        for _ in range(2):  # twice is enough (Kahan–Parlett)
            image -= done.T @ (done @ image)
        beta = float(image.norm())
        ritz, vectors = np.linalg.eigh(_tridiagonal(alphas, betas))
        spectrum = Spectrum(
            largest=float(ritz[-1]),
            largest_residual=beta * abs(float(vectors[-1, -1])),
            smallest=float(ritz[0]),
            smallest_residual=beta * abs(float(vectors[-1, 0])),
            products=j + 1,
            tolerance=settings.tolerance,
        )
        exhausted = beta <= 1e-12 * max(spectrum.scale, 1e-300) or j + 1 == dimension
        if exhausted:  # an invariant subspace: the Ritz values are exact eigenvalues
            return Spectrum(
                spectrum.largest, 0.0, spectrum.smallest, 0.0, j + 1, settings.tolerance
            )
        if spectrum.largest_converged and (
            spectrum.smallest_converged or not settings.min_eigenvalue
        ):
            return spectrum
        if j + 1 < steps:
            betas.append(beta)
            basis[j + 1] = image / beta
    return spectrum


def _tridiagonal(alphas: list[float], betas: list[float]) -> np.ndarray:
    """The Lanczos matrix T: ``alphas`` on the diagonal, ``betas`` beside it."""
    off = np.asarray(betas[: len(alphas) - 1], dtype=float)
    return np.diag(np.asarray(alphas, dtype=float)) + np.diag(off, 1) + np.diag(off, -1)


@contextlib.contextmanager
def full_float32() -> Iterator[None]:
    """cuDNN convolutions and float32 matrix products without TF32 for the block; the
    settings are put back as they were."""
    convolutions = torch.backends.cudnn.allow_tf32
    products = torch.get_float32_matmul_precision()
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = convolutions
        torch.set_float32_matmul_precision(products)


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
        with torch.enable_grad(), sdpa_kernel([SDPBackend.MATH]), full_float32():
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

            spectrum = extreme_eigenvalues(
                hessian_vector_product,
                flat_gradient.numel(),
                settings,
                device=flat_gradient.device,
                dtype=flat_gradient.dtype,
            )
    finally:
        model.train(was_training)
    used = spectrum.products
    return SharpnessEstimate(
        eigenvalue=spectrum.largest,
        products=used,
        gradient_evaluations=1 + GRADIENT_EVALUATIONS_PER_PRODUCT * used,
        converged=spectrum.largest_converged if spectrum.largest is not None else None,
        min_eigenvalue=(
            spectrum.smallest if settings.min_eigenvalue and spectrum.smallest_converged else None
        ),
    )
