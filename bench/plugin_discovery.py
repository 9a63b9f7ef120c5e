"""Benchmark: what plugin discovery adds to the API's start-up.

    python -m bench.plugin_discovery [--repeats 15]

Each repeat is a fresh interpreter that builds the app with discovery off
(``OPTBENCH_PLUGINS=false``, built-ins only: the baseline start-up) and then, in the
same process, times discovery itself as ``create_app`` runs it:

* **nothing to find**: entry points read, nothing configured;
* **3 plugins, warm**: three optimizers named by ``OPTBENCH_OPTIMIZERS`` (torch.optim
  classes under other names, so the real path runs: typing, probing), their
  descriptions in the cache from an earlier start, as on every start after the first;
* **3 plugins, cold**: the same with an empty cache: the child process that imports and
  probes them, once per package version.

Both figures come from one process, so a busy machine slows them alike; medians are
printed with the ratio of discovery to the whole start-up. Target: discovery adds under
100 ms (warm). The API process never imports torch: only the cold start's child does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGURED = "sgd_t=torch.optim:SGD,asgd_t=torch.optim:ASGD,adadelta_t=torch.optim:Adadelta"
START = """
import json, sys, time
started = time.perf_counter()
import api.app
from shared.config import Settings
from shared.optim.plugins import discover_for
api.app.create_app()
start_up = time.perf_counter() - started
settings = Settings(plugins=True, optimizers=sys.argv[1])
began = time.perf_counter()
registry = discover_for(settings)
print(json.dumps({"start_up": start_up, "discovery": time.perf_counter() - began,
                  "found": len(registry.entries), "torch": "torch" in sys.modules}))
"""


def start(home: str, configured: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTBENCH_")}
    out = subprocess.run(
        [sys.executable, "-c", START, configured],
        cwd=ROOT,
        env={**env, "OPTBENCH_HOME": home, "OPTBENCH_PLUGINS": "false"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        empty = [start(home, "") for _ in range(args.repeats)]
        cold = []
        for _ in range(max(3, args.repeats // 5)):
            for cached in Path(home, "plugin-cache").glob("*.json"):
                cached.unlink()
            cold.append(start(home, CONFIGURED))
        warm = [start(home, CONFIGURED) for _ in range(args.repeats)]
    start_up = statistics.median(r["start_up"] for r in empty + warm)
    print(
        f"API start-up without discovery: {start_up * 1000:.0f} ms (median of {len(empty + warm)})"
    )
    print(f"{'discovery':32} {'median':>10} {'of start-up':>12}")
    for label, runs in (
        ("nothing to find", empty),
        ("3 plugins, warm cache", warm),
        ("3 plugins, cold (child process)", cold),
    ):
        seconds = statistics.median(r["discovery"] for r in runs)
        print(f"{label:32} {seconds * 1000:8.1f} ms {seconds / start_up:11.1%}")
    print(f"torch in the API process after discovery: {any(r['torch'] for r in empty + warm)}")
    warm_ms = statistics.median(r["discovery"] for r in warm) * 1000
    print(f"target: warm discovery < 100 ms — {'met' if warm_ms < 100 else 'missed'}")


if __name__ == "__main__":
    main()
