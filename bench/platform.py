"""Benchmark: a landscape experiment through the embedded platform against the library.

    python -m bench.platform [--restarts 500] [--iterations 5000] [--reads 50]

Starts ``optbench serve`` (SQLite, SQLite broker, 2 worker processes) in a fresh home,
submits the 8-optimizer experiment on the three paper functions over HTTP and times it
from submission to ``succeeded``; then runs the same work through the library in this
process (sequentially) and prints the difference. Then reads the stationary
distribution repeatedly and prints the median latency.

Targets: platform time ≤ library time + 2 s; distribution read < 50 ms (median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from optbench_client import Client
from shared.landscapes import PAPER_FUNCTIONS
from shared.landscapes.study import stationary_distribution
from shared.optim.declarations import OPTIMIZER_NAMES

ROOT = Path(__file__).resolve().parents[1]


def start_server(home: Path, port: int, timeout: float = 60) -> subprocess.Popen[bytes]:
    """``optbench serve`` with 2 workers in ``home``, once its /health answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTBENCH_")}
    env["OPTBENCH_HOME"] = str(home)
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("the embedded server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=500)
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    spec = {
        "kind": "landscape",
        "functions": list(PAPER_FUNCTIONS),
        "optimizers": list(OPTIMIZER_NAMES),
        "restarts": args.restarts,
        "iterations": args.iterations,
    }

    with tempfile.TemporaryDirectory() as home:
        server = start_server(Path(home), args.port)
        try:
            client = Client(
                f"http://127.0.0.1:{args.port}", (Path(home) / "token").read_text().strip()
            )
            started = time.perf_counter()
            experiment = client.submit(spec)
            state = client.wait(experiment, poll=0.05)
            platform = time.perf_counter() - started
            assert state.status == "succeeded", state
            reads = []
            for _ in range(args.reads):
                began = time.perf_counter()
                client.distribution(experiment)
                reads.append(time.perf_counter() - began)
        finally:
            server.terminate()
            server.wait(timeout=30)

    started = time.perf_counter()
    for function in PAPER_FUNCTIONS:
        for optimizer in OPTIMIZER_NAMES:
            stationary_distribution(
                function,
                optimizer,
                restarts=args.restarts,
                iterations=args.iterations,
                path_points=50,
            )
    library = time.perf_counter() - started

    print(
        f"experiment: {len(OPTIMIZER_NAMES)} optimizers × {len(PAPER_FUNCTIONS)} functions "
        f"× {args.restarts} restarts × {args.iterations} iterations"
    )
    print(f"  embedded platform, submit → succeeded: {platform:.2f} s (2 worker processes)")
    print(f"  library in one process, sequential:   {library:.2f} s")
    print(
        f"  difference {platform - library:+.2f} s (target ≤ +2 s); ratio {platform / library:.2f}"
    )
    print(
        f"distribution read: median {1e3 * statistics.median(reads):.1f} ms, "
        f"p90 {1e3 * sorted(reads)[int(0.9 * len(reads))]:.1f} ms over {args.reads} reads "
        "(target < 50 ms)"
    )


if __name__ == "__main__":
    main()
