"""Benchmark: Adam on the landscapes through the batched PyTorch path.

    python -m bench.landscape_torch [--restarts 500] [--iterations 5000]

``torch.optim.Adam`` on the three paper functions, all restarts as one stacked
parameter (``run_torch_batched``, coupling ``elementwise``), against two baselines
timed in the same process:

(a) the per-restart loop a user would write (one restart at a time, ``torch.optim.Adam``,
    autograd closure on ``Landscape.torch_value``), timed on a few restarts per
    function and scaled linearly to all restarts — the output says so;
(b) the NumPy-kernel SGD sweep (``run_batched(..., "sgd", ...)``) on the same starts.

Targets: (a) ≥ 100× slower than the batched path; the batched path within 5× of (b).
Every figure is a median over repeats.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from shared.landscapes import PAPER_FUNCTIONS, landscape
from shared.landscapes.engine import run_batched
from shared.landscapes.study import starting_points, study_hyperparameters
from shared.landscapes.torch_engine import run_torch_batched


def median_time(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def adam(lr: float) -> Callable[[list[torch.Tensor]], torch.optim.Optimizer]:
    return lambda params: torch.optim.Adam(params, lr=lr)


def per_restart_adam(function: str, start: np.ndarray, iterations: int) -> None:
    """What a user writes without the engine: one restart, autograd, torch.optim.Adam."""
    f = landscape(function)
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=f.recommended["lr"])

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = f.torch_value(w)
        loss.backward()
        return loss.detach()

    for _ in range(iterations):
        opt.step(closure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=500)
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument(
        "--baseline-restarts", type=int, default=2, help="restarts timed per function for (a)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="repeats for the medians")
    args = parser.parse_args()
    restarts, iterations = args.restarts, args.iterations
    print(
        f"Adam on {len(PAPER_FUNCTIONS)} functions × {restarts} restarts × {iterations} "
        f"iterations; torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    batched: dict[str, float] = {}
    loop: dict[str, float] = {}
    sgd: dict[str, float] = {}
    for function in PAPER_FUNCTIONS:
        f = landscape(function)
        starts = starting_points(f, restarts, seed=0)
        batched[function] = median_time(
            lambda f=f, s=starts: run_torch_batched(
                f, adam(f.recommended["lr"]), "elementwise", s, iterations
            ),
            args.repeats,
        )
        hp = study_hyperparameters(f, "sgd")
        sgd[function] = median_time(
            lambda f=f, s=starts, hp=hp: run_batched(f, "sgd", s, iterations, hp, None),
            args.repeats,
        )
        per_restart = (
            median_time(
                lambda fn=function, s=starts: [
                    per_restart_adam(fn, s[r], iterations) for r in range(args.baseline_restarts)
                ],
                1,
            )
            / args.baseline_restarts
        )
        loop[function] = per_restart * restarts
        print(
            f"  {function:17s} batched torch {batched[function] * 1e3:7.0f} ms"
            f"   NumPy sgd {sgd[function] * 1e3:6.0f} ms"
            f"   per-restart loop {per_restart * 1e3:6.0f} ms/restart"
            f" → {loop[function]:6.0f} s scaled"
        )
    total_batched, total_loop = sum(batched.values()), sum(loop.values())
    print(
        f"\n(a) batched torch Adam {total_batched:.2f} s; per-restart torch.optim loop "
        f"{total_loop:.0f} s (timed on {args.baseline_restarts} restarts per function, "
        f"scaled ×{restarts / args.baseline_restarts:.0f})"
    )
    print(f"    speed-up ×{total_loop / total_batched:.0f}  (target ≥ 100)")
    ratios = [batched[fn] / sgd[fn] for fn in PAPER_FUNCTIONS]
    print(
        f"(b) batched torch Adam / NumPy-kernel sgd: {total_batched / sum(sgd.values()):.2f} "
        f"over the three functions, per function "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + "  (target ≤ 5)"
    )


if __name__ == "__main__":
    main()
