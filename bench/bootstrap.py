"""Benchmark: the median-difference bootstrap, all resamples at once against in batches.

    python -m bench.bootstrap [--repeats 5]

Baseline: the interval as it used to be computed, ``scipy.stats.bootstrap`` on the
pooled models with every resample in one vectorised call (a 999 × n array per sample).
Ours: the cluster bootstrap (:mod:`shared.stats.bootstrap`), which draws whole
trajectories and gathers their models in batches of at most ``BOOTSTRAP_CELLS`` values.
Both run here on the same populations, from a paper-sized one (5 trajectories × 10
models) to the largest a query allows (100 trajectories × 1000 models); prints median
seconds and peak traced memory of each, and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import numpy as np
from scipy import stats

from shared.stats.bootstrap import BOOTSTRAP_RESAMPLES, median_difference_interval
from shared.stats.model_level import median_difference

SIZES = [(5, 10), (20, 100), (100, 1000)]


def pooled_all_at_once(x: list[np.ndarray], y: list[np.ndarray]) -> None:
    stats.bootstrap(
        (np.concatenate(x), np.concatenate(y)),
        median_difference,
        vectorized=True,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        rng=0,
    )


def cluster_in_batches(x: list[np.ndarray], y: list[np.ndarray]) -> None:
    median_difference_interval(x, y, seed=0)


def measure(function: Callable[[], None], repeats: int) -> tuple[float, float]:
    """(median seconds, peak traced MB of one call)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(
        f"{'population':>22} {'baseline s':>10} {'ours s':>8} {'time ×':>7} "
        f"{'baseline MB':>11} {'ours MB':>8} {'memory ×':>8}"
    )
    for trajectories, models in SIZES:
        x = [rng.normal(0, 1, models) + rng.normal() for _ in range(trajectories)]
        y = [rng.normal(0.2, 1, models) + rng.normal() for _ in range(trajectories)]
        base_time, base_memory = measure(partial(pooled_all_at_once, x, y), args.repeats)
        our_time, our_memory = measure(partial(cluster_in_batches, x, y), args.repeats)
        print(
            f"{f'{trajectories} × {models} a side':>22} {base_time:>10.4f} {our_time:>8.4f} "
            f"{our_time / base_time:>7.2f} {base_memory:>11.1f} {our_memory:>8.1f} "
            f"{our_memory / base_memory:>8.2f}"
        )


if __name__ == "__main__":
    main()
