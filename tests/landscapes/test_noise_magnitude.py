"""examples/noise-magnitude.yaml shows where noise starts to move end points."""

from __future__ import annotations

from pathlib import Path

import yaml

from shared.experiments import expand_sweeps
from shared.landscapes.study import stationary_distribution, summarize
from shared.spec import parse_spec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "noise-magnitude.yaml"


def test_small_noise_leaves_restarts_in_place_and_larger_noise_moves_them() -> None:
    spec = expand_sweeps(parse_spec(yaml.safe_load(EXAMPLE.read_text()), stored=False))
    assert spec.functions == ["six_hump_camel", "himmelblau"]
    swept = {o.key: o for o in spec.optimizers if o.sweep_of == "nig_sgd"}
    assert list(swept) == [f"nig_sgd@rho={v}" for v in (2, 10, 30, 100)]
    options = {"restarts": 200, "iterations": spec.iterations, "seed": spec.seed}
    results = {"sgd": stationary_distribution("six_hump_camel", "sgd", **options)}
    for key in ("nig_sgd@rho=2", "nig_sgd@rho=30"):
        results[key] = stationary_distribution(
            "six_hump_camel",
            "nig_sgd",
            overrides={"nig_sgd": swept[key].hyperparameters},
            **options,
        )
    pairs = {(p.a, p.b): p for p in summarize(results).pairs}
    small, large = pairs["sgd", "nig_sgd@rho=2"], pairs["sgd", "nig_sgd@rho=30"]
    assert small.agreement >= 0.98 and small.paired_pvalue_holm > 0.05
    assert large.agreement < 0.6 and large.paired_pvalue_holm < 0.01
    # Where they went: out of the shallow high minima (L1, L2 at f ≈ 2.1).
    assert results["nig_sgd@rho=30"].counts["L1"] < results["sgd"].counts["L1"] / 3
