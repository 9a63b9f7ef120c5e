"""Optimizers without a NumPy kernel (baselines, wrapped bases, plugins) on the
landscapes: through PyTorch by coupling class, in the default spec, and agreeing with
the NumPy kernels where both can run."""

from __future__ import annotations

import numpy as np
import pytest

from shared.landscapes.study import stationary_distribution
from shared.optim.declarations import (
    OPTIMIZER_NAMES,
    builtin_registry,
    declaration,
    landscape_optimizer_names,
    set_registry,
)
from shared.optim.plugins import discover
from shared.spec import parse_spec


def test_the_default_landscape_spec_covers_every_installed_optimizer() -> None:
    spec = parse_spec({"kind": "landscape"})
    names = [o.name for o in spec.optimizers]
    assert names == landscape_optimizer_names()
    assert set(OPTIMIZER_NAMES) | {"adam", "adamw", "rmsprop", "adagrad"} <= set(names)
    assert all(declaration(n).coupling is not None for n in names)


def test_sam_around_sgd_through_pytorch_matches_the_sam_kernel() -> None:
    # Same rule, different engines: the NumPy kernel of the paper's sam and the wrapper
    # sam(sgd) run one instance per restart (global coupling). SAM parts at rounding
    # level after a few dozen steps near a minimum, so the comparison is 30 steps.
    kernel = stationary_distribution("six_hump_camel", "sam", restarts=12, iterations=30)
    wrapped = stationary_distribution("six_hump_camel", "sam(sgd)", restarts=12, iterations=30)
    assert declaration("sam(sgd)").coupling == "global"
    assert wrapped.hyperparameters["base.lr"] == kernel.hyperparameters["lr"]
    np.testing.assert_allclose(wrapped.run.end_points, kernel.run.end_points, atol=1e-10)
    assert (wrapped.run.counters.gradient_evaluations == 60).all()


@pytest.mark.parametrize(
    ("optimizer", "settings"),
    [
        ("adam", {"lr": 0.05}),
        ("nig(adam)", {"base.lr": 0.05, "rho": 0.1}),
        ("bh(adamw)", {"base.lr": 0.05, "tau": 50}),
    ],
)
def test_a_baseline_or_wrapped_base_gives_a_stationary_distribution(optimizer, settings) -> None:
    result = stationary_distribution(
        "himmelblau", optimizer, restarts=24, iterations=600, overrides={optimizer: settings}
    )
    assert sum(result.counts.values()) == 24
    assert result.converged > 0
    assert result.run.end_points.shape == (24, 2)


def test_a_configured_plugin_is_probed_and_runs_on_a_landscape(tmp_path) -> None:
    try:
        discover(tmp_path, "signsgd=tests.optim.plugin_samples:SignSGD")
        assert declaration("signsgd").coupling == "elementwise"
        result = stationary_distribution(
            "three_hump_camel",
            "signsgd",
            restarts=16,
            iterations=300,
            overrides={"signsgd": {"lr": 0.01}},
        )
        assert sum(result.counts.values()) == 16 and result.converged > 0
    finally:
        set_registry(builtin_registry())
