"""Minima catalogs: computed, verified, complete, and in the documented order."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from shared.landscapes import LANDSCAPES, landscape

NAMES = list(LANDSCAPES)


@pytest.mark.parametrize("name", NAMES)
def test_every_minimum_is_stationary_and_strict(name: str) -> None:
    f = landscape(name)
    assert f.minima
    for m in f.minima:
        point = np.array(m.location).reshape(2, 1)
        assert np.linalg.norm(f.gradient(point)) < 1e-8
        assert min(m.eigenvalues) > 0
        assert f.contains(point)[0]


@pytest.mark.parametrize("name", NAMES)
def test_sharpness_matches_an_autograd_hessian(name: str) -> None:
    f = landscape(name)
    for m in f.minima:
        w = torch.tensor(m.location, dtype=torch.float64)
        hessian = torch.autograd.functional.hessian(f.torch_value, w)
        eigenvalues = torch.linalg.eigvalsh(hessian).tolist()
        assert eigenvalues == pytest.approx(sorted(m.eigenvalues), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_no_minimum_is_missing(name: str) -> None:
    """Many local searches from random starts find only catalogued minima."""
    f = landscape(name)
    (x0, x1), (y0, y1) = f.domain
    rng = np.random.default_rng(1)
    catalogued = np.array([m.location for m in f.minima])
    for start in np.column_stack((rng.uniform(x0, x1, 300), rng.uniform(y0, y1, 300))):
        result = minimize(
            lambda p: f.value(p.reshape(2, 1))[0],
            start,
            jac=lambda p: f.gradient(p.reshape(2, 1))[:, 0],
            method="BFGS",
            options={"gtol": 1e-10},
        )
        p = result.x
        inside = f.contains(p.reshape(2, 1))[0]
        if inside and result.success and (np.linalg.eigvalsh(f.hessian(p)) > 1e-8).all():
            assert np.linalg.norm(catalogued - p, axis=1).min() < 1e-4, (name, p)


@pytest.mark.parametrize("name", NAMES)
def test_order_global_first_then_flatter_first(name: str) -> None:
    minima = landscape(name).minima
    flags = [m.is_global for m in minima]
    assert flags == sorted(flags, reverse=True)
    for group in (True, False):
        sharpness = [m.sharpness for m in minima if m.is_global is group]
        assert sharpness == sorted(sharpness)
    assert [m.label[0] for m in minima] == ["G" if m.is_global else "L" for m in minima]


def close(m, location, value) -> bool:
    return np.allclose(m.location, location, atol=1e-4) and abs(m.value - value) < 1e-4


def test_paper_functions_have_the_published_minima() -> None:
    h = landscape("himmelblau").minima
    assert len(h) == 4 and all(m.is_global for m in h)
    for loc in [(3, 2), (-2.8051, 3.1313), (-3.7793, -3.2832), (3.5844, -1.8481)]:
        assert any(close(m, loc, 0.0) for m in h)

    t = landscape("three_hump_camel").minima
    assert len(t) == 3 and close(t[0], (0, 0), 0) and t[0].is_global
    for loc in [(1.7476, -0.8738), (-1.7476, 0.8738)]:
        assert any(close(m, loc, 0.2986) and not m.is_global for m in t)

    s = landscape("six_hump_camel").minima
    assert len(s) == 6
    assert {m.label for m in s if m.is_global} == {"G1", "G2"}
    for loc in [(0.0898, -0.7127), (-0.0898, 0.7127)]:
        assert any(close(m, loc, -1.0316) and m.is_global for m in s)
    for loc, value in [
        ((1.7036, -0.7961), -0.2155),
        ((-1.7036, 0.7961), -0.2155),
        ((1.6071, 0.5687), 2.1043),
        ((-1.6071, -0.5687), 2.1043),
    ]:
        assert any(close(m, loc, value) and not m.is_global for m in s)


def test_names_are_forgiving_and_unknown_ones_list_the_valid() -> None:
    assert landscape("Six-Hump-Camel").name == "six_hump_camel"
    with pytest.raises(KeyError, match="himmelblau"):
        landscape("himmelblaw")


@pytest.mark.parametrize("name", NAMES)
def test_numpy_torch_and_symbolic_forms_agree(name: str) -> None:
    f = landscape(name)
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = f.domain
    points = np.vstack((rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)))
    grads = f.gradient(points)
    for i in range(points.shape[1]):
        w = torch.tensor(points[:, i], dtype=torch.float64, requires_grad=True)
        value = f.torch_value(w)
        value.backward()
        expected = f.value(points[:, i : i + 1])[0]
        assert float(value.detach()) == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert w.grad.tolist() == pytest.approx(grads[:, i].tolist(), rel=1e-10, abs=1e-10)
