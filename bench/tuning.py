"""Benchmark: a tuning study on the embedded platform's 2 worker processes, against the
same trials run one after another; and what pruning saves on a study with a bad region.

    python -m bench.tuning [--trials 16] [--epochs 200] [--points 16] [--port 8766]

1. Starts ``optbench serve --workers 2`` in a fresh home, warms both workers up with a
   2-trial study, then times a ``--trials``-trial digits study (SGD; lr searched over
   [1e-6, 1] on a log scale, so a third of the range barely learns; 2 trials at once; no
   pruning) from submission to ``succeeded``.
2. Runs the same trials (the hyperparameters the study drew) one after another in this
   process with the same runner on the same validation split, and times them, on
   the faster of PyTorch's default threads (all cores) and one thread, as timed on
   the first two trials, so the study is measured against the best sequential way on
   this machine at this moment. (The workers' pool processes each get their share
   of the cores: see worker/threads.py.)
3. Runs the study again with the median pruner and compares the gradient evaluations the
   two studies spent (their first ten trials are the same points: TPE's start-up trials
   are drawn with per-trial seeds).

Target: the study takes at most 0.6× the sequential time. Pruning's saving is printed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

import torch

from bench.platform import start_server
from optbench_client import Client
from shared.optim.declarations import resolve_hyperparameters
from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.protocol.tuning import validation_split
from shared.tasks.registry import build_task

ROOT = Path(__file__).resolve().parents[1]


def study_spec(trials: int, epochs: float, pruner: str, points: int = 16) -> dict:
    return {
        "kind": "tuning",
        "task": "digits",
        # a wider MLP than the default, trained long enough that a trial is worth sending
        # to a worker (a couple of seconds of one core; a real study's trials take
        # minutes): the platform's cost per trial is a fixed tenth of a second or so
        "task_options": {"hidden_width": 256},
        "optimizers": [{"name": "sgd", "hyperparameters": {"momentum": 0.9}}],
        "budget": {"epochs": epochs},
        "evaluate_every": epochs / points,
        "batch_size": 32,
        "seed": 1,
        "device": "cpu",
        "tuning": {
            "trials": trials,
            "parallel": 2,
            "pruner": pruner,
            "pruner_startup_trials": 4,
            "search": {"sgd": {"lr": {"low": 1e-6, "high": 1.0, "log": True}}},
        },
    }


def run_study(client: Client, spec: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    experiment = client.submit(spec)
    state = client.wait(experiment, poll=0.1)
    took = time.perf_counter() - started
    assert state.status == "succeeded", state
    return took, client.tuning(experiment).model_dump(mode="json")


def sequential(study: dict, spec: dict, threads: int) -> float:
    """The study's trials, one after another, with the same runner and split, on
    ``threads`` intra-op threads."""
    default = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _sequential(study, spec)
    finally:
        torch.set_num_threads(default)


def _sequential(study: dict, spec: dict) -> float:
    task = build_task("digits", spec["task_options"])
    data = task.load()
    split = validation_split(data, 0.2, seed=spec["seed"])
    started = time.perf_counter()
    for trial in study["trials"]:
        config = TrajectoryConfig(
            "sgd",
            resolve_hyperparameters("sgd", trial["hyperparameters"]),
            trajectory_seeds(spec["seed"], "sgd", 0),
            Budget(epochs=spec["budget"]["epochs"]),
            batch_size=spec["batch_size"],
            evaluate_every=spec["evaluate_every"],
        )
        TrajectoryRunner(task, split, config).run()
    return time.perf_counter() - started


def most_at_once(trials: list[dict]) -> int:
    """The most trials whose [started_at, finished_at] overlap at one moment."""
    events = sorted(
        [(t["started_at"], 1) for t in trials] + [(t["finished_at"], -1) for t in trials]
    )
    running = peak = 0
    for _, step in events:  # ISO times in UTC sort as text; an end sorts before a start
        running += step
        peak = max(peak, running)
    return peak


def in_trials(trials: list[dict]) -> float:
    """Seconds the workers spent inside trials (claim to finish), summed over trials."""
    return sum(
        (
            datetime.fromisoformat(t["finished_at"]) - datetime.fromisoformat(t["started_at"])
        ).total_seconds()
        for t in trials
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=float, default=200.0)
    parser.add_argument("--points", type=int, default=16, help="evaluation points a trial")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    plain = study_spec(args.trials, args.epochs, "none", args.points)
    pruned_spec = study_spec(args.trials, args.epochs, "median", args.points)
    with tempfile.TemporaryDirectory() as home:
        server = start_server(Path(home), args.port, timeout=120)
        try:
            client = Client(
                f"http://127.0.0.1:{args.port}", (Path(home) / "token").read_text().strip()
            )
            run_study(client, study_spec(2, 0.25, "none"))  # both workers load torch, data
            parallel, study = run_study(client, plain)
            _, pruned = run_study(client, pruned_spec)
        finally:
            server.terminate()
            server.wait(timeout=30)
    cores = torch.get_num_threads()
    # the first two trials on each thread count, then all of them on the faster one
    probe = {"trials": study["trials"][:2]}
    probed = {n: sequential(probe, plain, n) for n in sorted({cores, 1})}
    threads = min(probed, key=probed.__getitem__)
    one_by_one = sequential(study, plain, threads)
    overlap = most_at_once(study["trials"])
    print(
        f"{args.trials}-trial digits study (SGD, {args.epochs:g} epochs and {args.points} "
        "evaluation points a trial, lr in "
        "[1e-6, 1] log):"
    )
    label = "embedded platform, 2 worker processes, submit → succeeded:"
    print(f"  {label:<62}{parallel:.1f} s")
    label = f"the same trials one after another in one process, {threads} thread(s):"
    print(f"  {label:<62}{one_by_one:.1f} s")
    print(
        "  (first 2 trials: "
        + ", ".join(f"{took:.1f} s on {n} thread(s)" for n, took in probed.items())
        + ")"
    )
    print(
        f"  ratio {parallel / one_by_one:.2f} (target ≤ 0.6); "
        f"most trials running at once: {overlap}"
    )
    inside = in_trials(study["trials"])
    print(
        f"  inside trials (claim to finish, summed): {inside:.1f} s; the rest of 2 workers' "
        f"time (messages, planning, idle): {max(0.0, 2 * parallel - inside):.1f} s"
    )
    spent = study["budgets"][0]["gradient_evaluations"]
    saved = pruned["budgets"][0]["gradient_evaluations"]
    row = pruned["budgets"][0]
    print("pruning (median pruner, 4 start-up trials, 1 evaluation point of warm-up):")
    print(f"  gradient evaluations without pruning: {spent:,}; with: {saved:,}")
    print(
        f"  cut by {1 - saved / spent:.1%}; trials pruned {row['pruned']} of {row['trials']}; "
        f"best accuracy {study['budgets'][0]['best_value']:.4f} without, "
        f"{row['best_value']:.4f} with"
    )


if __name__ == "__main__":
    main()
