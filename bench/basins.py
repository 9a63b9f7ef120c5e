"""Benchmark: basin assignment of stored end points, batched against a per-restart loop.

    python -m bench.basins [--restarts 500] [--configurations 8] [--loop-sample 40]

The API assigns basins at query time, polishing every end point of every configuration
of a function in one batch (``shared.landscapes.basins.assign_basins``). The baseline is
the same polish run one end point at a time (what a per-restart implementation costs),
timed on ``--loop-sample`` end points and scaled linearly to all of them; the output
says so. End points come from real runs (SAM, NiG-SGD and SGD at their defaults, whose
end points need the most polishing), so both sides do the same work. Medians over
repeats, in this one process.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from shared.landscapes import landscape
from shared.landscapes.basins import assign_basins
from shared.landscapes.study import stationary_distribution


def median_time(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=500)
    parser.add_argument("--configurations", type=int, default=8)
    parser.add_argument("--loop-sample", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'function':16} {'end points':>10} {'batched s':>10} {'loop s*':>10} {'ratio':>7}")
    for name in ("himmelblau", "six_hump_camel", "rosenbrock"):
        f = landscape(name)
        runs = [
            stationary_distribution(name, optimizer, restarts=args.restarts, seed=seed)
            for seed, optimizer in enumerate(["sam", "nig_sgd", "sgd"] * args.configurations)
        ][: args.configurations]
        ends = np.concatenate([r.run.end_points for r in runs])
        batched = median_time(lambda ends=ends, f=f: assign_basins(f, ends, 0.1), args.repeats)
        sample = ends[np.random.default_rng(0).choice(len(ends), args.loop_sample, replace=False)]

        def loop(sample: np.ndarray = sample, f=f) -> None:
            for point in sample:
                assign_basins(f, point[None, :], 0.1)

        looped = median_time(loop, args.repeats) * len(ends) / args.loop_sample
        print(
            f"{name:16} {len(ends):>10} {batched:>10.3f} {looped:>10.2f} {looped / batched:>6.0f}×"
        )
    print(f"* per-restart loop timed on {args.loop_sample} end points and scaled linearly")


if __name__ == "__main__":
    main()
