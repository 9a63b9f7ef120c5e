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
from typing import Any

import numpy as np
import torch

from shared.landscapes import PAPER_FUNCTIONS, landscape
from shared.landscapes.engine import run_batched
from shared.landscapes.study import starting_points, study_hyperparameters
from shared.landscapes.torch_engine import run_torch_batched


class Timing:
    """Median wall time and median CPU time of this process over repeats. On a shared
    machine the CPU time is the steadier figure (waiting for a core is not counted);
    both engines here run on one thread, so on an idle machine the two agree."""

    def __init__(self, run: Callable[[], object], repeats: int) -> None:
        walls, cpus = [], []
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
        self.wall = statistics.median(walls)
        self.cpu = statistics.median(cpus)

    def __str__(self) -> str:
        return f"{self.wall * 1e3:5.0f} ms ({self.cpu * 1e3:.0f})"


def adam(lr: float, **options: Any) -> Callable[[list[torch.Tensor]], torch.optim.Optimizer]:
    return lambda params: torch.optim.Adam(params, lr=lr, **options)


#: The factories timed: torch.optim.Adam as built by default (one tensor, so PyTorch's
#: single-tensor loop on CPU), and its fused CPU kernel (one call per step).
VARIANTS = {"Adam": {}, "Adam(fused=True)": {"fused": True}}


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
    batched: dict[str, dict[str, Timing]] = {v: {} for v in VARIANTS}
    sgd: dict[str, Timing] = {}
    loop: dict[str, Timing] = {}
    for function in PAPER_FUNCTIONS:
        f = landscape(function)
        starts = starting_points(f, restarts, seed=0)
        lr = f.recommended["lr"]
        # Compile the gradient and value and warm both paths up outside the timings.
        run_torch_batched(f, adam(lr), "elementwise", starts, 10)
        run_batched(f, "sgd", starts, 10, study_hyperparameters(f, "sgd"), None)
        for variant, options in VARIANTS.items():
            batched[variant][function] = Timing(
                lambda f=f, s=starts, o=options, lr=lr: run_torch_batched(
                    f, adam(lr, **o), "elementwise", s, iterations
                ),
                args.repeats,
            )
        hp = study_hyperparameters(f, "sgd")
        sgd[function] = Timing(
            lambda f=f, s=starts, hp=hp: run_batched(f, "sgd", s, iterations, hp, None),
            args.repeats,
        )
        loop[function] = Timing(
            lambda fn=function, s=starts: [
                per_restart_adam(fn, s[r], iterations) for r in range(args.baseline_restarts)
            ],
            1,
        )
        print(
            f"  {function:17s} "
            + "   ".join(f"{v} {batched[v][function]}" for v in VARIANTS)
            + f"   NumPy sgd {sgd[function]}"
            f"   per-restart loop {loop[function].wall / args.baseline_restarts * 1e3:5.0f} "
            f"ms/restart ({loop[function].cpu / args.baseline_restarts * 1e3:.0f})"
        )
    print("  (wall time, CPU time of this process in parentheses)")

    scale = restarts / args.baseline_restarts
    for clock in ("wall", "cpu"):
        loop_total = sum(getattr(t, clock) for t in loop.values()) * scale
        sgd_total = sum(getattr(t, clock) for t in sgd.values())
        print(
            f"\n{clock} time: per-restart torch.optim Adam loop {loop_total:.0f} s (timed on "
            f"{args.baseline_restarts} restarts per function, scaled ×{scale:.0f}); "
            f"NumPy-kernel sgd sweep {sgd_total:.2f} s"
        )
        for variant in VARIANTS:
            total = sum(getattr(t, clock) for t in batched[variant].values())
            print(
                f"  batched {variant:17s} {total:5.2f} s: (a) ×{loop_total / total:,.0f} faster "
                f"than the loop (target ≥ 100); (b) {total / sgd_total:.1f}× the sgd sweep "
                "(target ≤ 5)"
            )


if __name__ == "__main__":
    main()
