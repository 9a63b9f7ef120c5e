"""Benchmark: the landscape sweep through the batched engine against two baselines.

    python -m bench.landscape [--restarts 500] [--iterations 5000]

(a) the per-restart loop a user would write with the torch.optim optimizers
    (one restart at a time, autograd closure), timed on a few restarts per
    (optimizer, function) and scaled linearly to all restarts — the output says so;
(b) a hand-fused NumPy loop for ``sgd`` (gradient written out by hand, all restarts
    vectorised): our proxy for the limit of NumPy on this work.

Targets: the engine ≥ 100× faster than (a) on the whole sweep; within 2× of (b) for sgd.
Every figure is a median over repeats, measured in this one process.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from shared.landscapes import PAPER_FUNCTIONS, landscape
from shared.landscapes.study import starting_points, stationary_distribution, study_hyperparameters
from shared.optim import OPTIMIZERS, build


def median_time(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def per_restart_torch(function: str, optimizer: str, start: np.ndarray, iterations: int) -> None:
    """What a user writes without the engine: one restart, one torch optimizer."""
    f = landscape(function)
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = build(optimizer, [w], **study_hyperparameters(f, optimizer))

    def closure(backward: bool = True) -> torch.Tensor:
        loss = f.torch_value(w)
        if backward:
            opt.zero_grad()
            loss.backward()
        return loss.detach()

    for _ in range(iterations):
        opt.step(closure)


def _himmelblau(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = x * x + y - 11
    b = x + y * y - 7
    return 4 * a * x + 2 * b, 2 * a + 4 * b * y


def _three_hump(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x2 = x * x
    return 4 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2 * y


def _six_hump(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x2 = x * x
    return 8 * x - 8.4 * x2 * x + 2 * x2 * x2 * x + y, x - 8 * y + 16 * y * y * y


HAND_GRADIENTS = {
    "himmelblau": _himmelblau,
    "three_hump_camel": _three_hump,
    "six_hump_camel": _six_hump,
}


def fused_numpy_sgd(function: str, starts: np.ndarray, iterations: int) -> np.ndarray:
    """Hand-fused SGD: the gradient written out, two coordinate rows, in-place updates."""
    gradient = HAND_GRADIENTS[function]
    lr = landscape(function).recommended["lr"]
    x, y = starts[:, 0].copy(), starts[:, 1].copy()
    for _ in range(iterations):
        gx, gy = gradient(x, y)
        x -= lr * gx
        y -= lr * gy
    return np.column_stack((x, y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=500)
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument(
        "--baseline-restarts",
        type=int,
        default=2,
        help="restarts timed per (optimizer, function) for baseline (a)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="repeats for the sgd medians")
    args = parser.parse_args()
    restarts, iterations = args.restarts, args.iterations
    print(
        f"sweep: {len(OPTIMIZERS)} optimizers × {len(PAPER_FUNCTIONS)} functions × "
        f"{restarts} restarts × {iterations} iterations"
    )

    ours: dict[tuple[str, str], float] = {}
    loop: dict[tuple[str, str], float] = {}
    for function in PAPER_FUNCTIONS:
        starts = starting_points(landscape(function), restarts, seed=0)
        for optimizer in OPTIMIZERS:
            ours[function, optimizer] = median_time(
                lambda f=function, o=optimizer: stationary_distribution(
                    f, o, restarts=restarts, iterations=iterations
                ),
                1,
            )
            per_restart = (
                median_time(
                    lambda f=function, o=optimizer, s=starts: [
                        per_restart_torch(f, o, s[r], iterations)
                        for r in range(args.baseline_restarts)
                    ],
                    1,
                )
                / args.baseline_restarts
            )
            loop[function, optimizer] = per_restart * restarts
            print(
                f"  {function:17s} {optimizer:8s} engine {ours[function, optimizer]:7.3f} s"
                f"   per-restart loop {per_restart * 1e3:8.1f} ms/restart"
                f" → {loop[function, optimizer]:8.1f} s scaled"
            )

    total_ours, total_loop = sum(ours.values()), sum(loop.values())
    print(
        f"\n(a) whole sweep: engine {total_ours:.1f} s; per-restart torch.optim loop "
        f"{total_loop:.0f} s (timed on {args.baseline_restarts} restarts per pair, "
        f"scaled ×{restarts / args.baseline_restarts:.0f})"
    )
    print(f"    speed-up ×{total_loop / total_ours:.0f}  (target ≥ 100)")

    print(f"\n(b) sgd against a hand-fused NumPy loop (median of {args.repeats}):")
    ratios = []
    for function in PAPER_FUNCTIONS:
        starts = starting_points(landscape(function), restarts, seed=0)
        engine = median_time(
            lambda f=function: stationary_distribution(
                f, "sgd", restarts=restarts, iterations=iterations
            ),
            args.repeats,
        )
        fused = median_time(
            lambda f=function, s=starts: fused_numpy_sgd(f, s, iterations), args.repeats
        )
        ratios.append(engine / fused)
        print(
            f"    {function:17s} engine {engine * 1e3:7.1f} ms  fused {fused * 1e3:7.1f} ms"
            f"  ratio {engine / fused:.2f}"
        )
    print(f"    median ratio {statistics.median(ratios):.2f}, worst {max(ratios):.2f} (target ≤ 2)")


if __name__ == "__main__":
    main()
