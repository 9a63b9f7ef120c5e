"""Synthetic 2-D loss landscapes with known minima.

Each function is written once, as an expression over ``x``, ``y`` and a math namespace
(``sin``, ``cos``, ``exp``, ``sqrt``, ``pi``). The same expression is evaluated three ways:

* with SymPy, to derive the exact gradient and Hessian (the minima catalog's sharpness
  is computed from it, and the batched engine uses the gradient compiled to NumPy);
* with NumPy on arrays of restarts (the batched engine);
* with PyTorch on a parameter tensor, so any ``torch.optim`` optimizer can run on it
  through autograd (the reference the batched engine is verified against).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from shared.landscapes.codegen import (
    GradientFunction,
    ValueFunction,
    compile_gradient,
    compile_value,
)

if TYPE_CHECKING:
    import torch

    from shared.landscapes.catalog import Minimum

Expression = Callable[[Any, Any, Any], Any]

_NUMPY = SimpleNamespace(sin=np.sin, cos=np.cos, exp=np.exp, sqrt=np.sqrt, pi=np.pi)
_SYMPY = SimpleNamespace(sin=sp.sin, cos=sp.cos, exp=sp.exp, sqrt=sp.sqrt, pi=sp.pi)


def _torch_namespace() -> SimpleNamespace:
    import torch

    return SimpleNamespace(sin=torch.sin, cos=torch.cos, exp=torch.exp, sqrt=torch.sqrt, pi=math.pi)


@dataclass(frozen=True)
class Landscape:
    """A 2-D test function with its domain, catalog seeds and recommended step size.

    ``minima_near`` lists approximate locations of every minimum inside the domain (from
    the literature); the catalog refines each by Newton's method on the exact gradient
    and computes value and Hessian eigenvalues. ``recommended`` holds the
    hyperparameters the study uses on this function unless told otherwise, applied to
    every optimizer that declares them (the README says why each value).
    """

    name: str
    title: str
    expression: Expression = field(repr=False)
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima_near: tuple[tuple[float, float], ...]
    recommended: Mapping[str, float]
    reference: str = ""

    # -- symbolic --------------------------------------------------------------------

    @cached_property
    def _symbols(self) -> tuple[sp.Symbol, sp.Symbol]:
        return sp.symbols("x y", real=True)

    @cached_property
    def symbolic(self) -> sp.Expr:
        x, y = self._symbols
        return self.expression(x, y, _SYMPY)

    @cached_property
    def _gradient_numpy(self) -> GradientFunction:
        return compile_gradient(self.symbolic, self._symbols)

    @cached_property
    def _value_numpy(self) -> ValueFunction:
        return compile_value(self.symbolic, self._symbols)

    @cached_property
    def _hessian_numpy(self) -> Callable[..., Any]:
        x, y = self._symbols
        hess = sp.hessian(self.symbolic, (x, y))
        return sp.lambdify((x, y), hess, modules="numpy", cse=True)

    @cached_property
    def _hessian_entries(self) -> tuple[Callable[..., Any], ...]:
        """∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y² as separate functions (a constant entry would not
        broadcast inside one lambdified matrix)."""
        x, y = self._symbols
        f = self.symbolic
        return tuple(
            sp.lambdify((x, y), sp.diff(f, *wrt), modules="numpy")
            for wrt in ((x, x), (x, y), (y, y))
        )

    # -- batched NumPy ---------------------------------------------------------------

    def value(self, points: np.ndarray) -> np.ndarray:
        """f at ``points`` of shape (2, R) (coordinate-major); returns shape (R,)."""
        return self.expression(points[0], points[1], _NUMPY)

    def compiled_value(self, points: np.ndarray) -> np.ndarray:
        """f at ``points`` (2, R) like :meth:`value`, from the compiled compact form
        (several times faster; equal to rounding)."""
        return self._value_numpy(points[0], points[1])

    def gradient(self, points: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """∇f at ``points`` of shape (2, R); returns shape (2, R), written into ``out``
        (any (2, R) array or view, e.g. of a PyTorch gradient buffer) when given."""
        return self._gradient_numpy(
            points[0], points[1], np.empty_like(points) if out is None else out
        )

    def hessian(self, point: tuple[float, float]) -> np.ndarray:
        """The exact 2×2 Hessian at one point."""
        return np.asarray(self._hessian_numpy(float(point[0]), float(point[1])), dtype=float)

    def hessians(self, points: np.ndarray) -> np.ndarray:
        """The exact Hessians at ``points`` of shape (2, R); returns shape (R, 2, 2)."""
        xx, xy, yy = (
            np.broadcast_to(np.asarray(e(points[0], points[1]), dtype=float), points.shape[1:])
            for e in self._hessian_entries
        )
        return np.stack((np.stack((xx, xy), -1), np.stack((xy, yy), -1)), -2)

    # -- PyTorch -----------------------------------------------------------------------

    def torch_value(self, w: torch.Tensor) -> torch.Tensor:
        """f(w) for a parameter tensor ``w`` of shape (2,), differentiable by autograd."""
        return self.expression(w[0], w[1], _torch_namespace())

    # -- catalog -----------------------------------------------------------------------

    @cached_property
    def minima(self) -> tuple[Minimum, ...]:
        from shared.landscapes.catalog import build_catalog

        return build_catalog(self)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Which of ``points`` (2, R) lie in the closed domain."""
        (x0, x1), (y0, y1) = self.domain
        return (points[0] >= x0) & (points[0] <= x1) & (points[1] >= y0) & (points[1] <= y1)


def _himmelblau(x: Any, y: Any, m: Any) -> Any:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _three_hump_camel(x: Any, y: Any, m: Any) -> Any:
    return 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2


def _six_hump_camel(x: Any, y: Any, m: Any) -> Any:
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def _rosenbrock(x: Any, y: Any, m: Any) -> Any:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _branin(x: Any, y: Any, m: Any) -> Any:
    b = 5.1 / (4 * m.pi**2)
    c = 5 / m.pi
    t = 1 / (8 * m.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * m.cos(x) + 10


def _styblinski_tang(x: Any, y: Any, m: Any) -> Any:
    return ((x**4 - 16 * x**2 + 5 * x) + (y**4 - 16 * y**2 + 5 * y)) / 2


_ST_LOW, _ST_HIGH = -2.903534, 2.746803

LANDSCAPES: dict[str, Landscape] = {
    f.name: f
    for f in (
        Landscape(
            "himmelblau",
            "Himmelblau",
            _himmelblau,
            ((-5.0, 5.0), (-5.0, 5.0)),
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
            recommended={"lr": 0.01},
            reference="Himmelblau (1972), Applied Nonlinear Programming",
        ),
        Landscape(
            "three_hump_camel",
            "Three-Hump Camel",
            _three_hump_camel,
            ((-5.0, 5.0), (-5.0, 5.0)),
            ((0.0, 0.0), (1.7476, -0.8738), (-1.7476, 0.8738)),
            recommended={"lr": 0.002, "tau": 1000},
            reference="Branin (1972); Dixon & Szegő (1978)",
        ),
        Landscape(
            "six_hump_camel",
            "Six-Hump Camel",
            _six_hump_camel,
            ((-3.0, 3.0), (-2.0, 2.0)),
            (
                (0.0898, -0.7126),
                (-0.0898, 0.7126),
                (1.7036, -0.7961),
                (-1.7036, 0.7961),
                (1.6071, 0.5687),
                (-1.6071, -0.5687),
            ),
            recommended={"lr": 0.01},
            reference="Dixon & Szegő (1978)",
        ),
        Landscape(
            "rosenbrock",
            "Rosenbrock",
            _rosenbrock,
            ((-2.0, 2.0), (-1.0, 3.0)),
            ((1.0, 1.0),),
            recommended={"lr": 0.0002},
            reference="Rosenbrock (1960)",
        ),
        Landscape(
            "branin",
            "Branin",
            _branin,
            ((-5.0, 10.0), (0.0, 15.0)),
            ((-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)),
            recommended={"lr": 0.01},
            reference="Branin (1972); Dixon & Szegő (1978)",
        ),
        Landscape(
            "styblinski_tang",
            "Styblinski–Tang",
            _styblinski_tang,
            ((-5.0, 5.0), (-5.0, 5.0)),
            ((_ST_LOW, _ST_LOW), (_ST_LOW, _ST_HIGH), (_ST_HIGH, _ST_LOW), (_ST_HIGH, _ST_HIGH)),
            recommended={"lr": 0.01},
            reference="Styblinski & Tang (1990)",
        ),
    )
}

PAPER_FUNCTIONS = ("himmelblau", "three_hump_camel", "six_hump_camel")


class UnknownLandscapeError(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown function {self.name!r}; valid ones: {', '.join(LANDSCAPES)}"


def landscape(name: str) -> Landscape:
    """Look a function up by name (``six-hump-camel`` and ``six_hump_camel`` both work)."""
    key = name.strip().lower().replace("-", "_")
    try:
        return LANDSCAPES[key]
    except KeyError:
        raise UnknownLandscapeError(name) from None
