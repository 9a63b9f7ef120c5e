"""Benchmark: the trajectory runner against a bare hand-written PyTorch loop.

    python -m bench.runner [--task digits] [--epochs 20] [--repeats 5]

Both do the same work on the same task: the same model and initial weights, the same
minibatches in the same order, plain SGD steps, and the same evaluations (eval mode, a
fixed training subset and the test set; loss, accuracy, macro-F1) at the same steps.
The bare loop uses ``torch.optim.SGD`` and keeps its results in a list; the runner
uses the platform's SGD (seeded generator, evaluation counters, state_dict
bookkeeping), records and checkpoints.
Target: runner overhead ≤ 10% (median of repeats, same process).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from shared.protocol.runner import (
    Batches,
    Budget,
    TrajectoryConfig,
    TrajectoryRunner,
)
from shared.protocol.seeding import trajectory_seeds
from shared.tasks.classification import classification_metrics
from shared.tasks.registry import build_task


def bare_loop(task, data, config: TrajectoryConfig, runner: TrajectoryRunner) -> list:
    """What a researcher writes by hand: the loop, the optimizer, the evaluations."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seeds.init)
        model = task.build_model(data.num_labels)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.hyperparameters["lr"])
    batches = Batches(data.train, config.batch_size, config.seeds.data, data.collate)
    results = []

    def evaluate(step: int) -> None:
        model.eval()
        with torch.no_grad():
            train = runner._losses_and_predictions(model, data.train, runner.train_eval_index)
            test = runner._losses_and_predictions(model, data.test, torch.arange(len(data.test)))
        model.train()
        results.append(
            (step, train[0], test[0], classification_metrics(test[1], test[2], task.multilabel))
        )

    evaluate(0)
    for step in range(1, runner.total_steps + 1):
        inputs, targets = batches(step - 1)
        optimizer.zero_grad()
        loss = task.loss(model(inputs), targets)
        loss.backward()
        optimizer.step()
        if step % runner.evaluate_interval == 0 or step == runner.total_steps:
            evaluate(step)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="digits")
    parser.add_argument("--epochs", type=float, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    task = build_task(args.task, {})
    data = task.load()
    config = TrajectoryConfig(
        "sgd",
        {"lr": 0.05},
        trajectory_seeds(0, "sgd", 0),
        Budget(epochs=args.epochs),
        batch_size=args.batch_size,
        evaluate_every=0.5,
    )
    checkpoints: list[int] = []

    def keep(record, checkpoint: bytes) -> None:  # what the worker does, minus the database
        checkpoints.append(len(checkpoint))

    runner = TrajectoryRunner(task, data, config, keep)
    records_only = TrajectoryRunner(task, data, config)  # no checkpoints taken
    bare_loop(task, data, config, runner)  # warm-up
    runner.run()
    ours, lean, bare = [], [], []
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit all three
        started = time.perf_counter()
        runner.run()
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        records_only.run()
        lean.append(time.perf_counter() - started)
        started = time.perf_counter()
        baseline = bare_loop(task, data, config, runner)
        bare.append(time.perf_counter() - started)
    records = runner.run()
    assert [r.step for r in records] == [b[0] for b in baseline]
    o, b, n = statistics.median(ours), statistics.median(bare), statistics.median(lean)
    print(
        f"task {args.task}: {runner.total_steps} steps, {len(records)} evaluation points, "
        f"batch {args.batch_size}"
    )
    print(
        f"  runner (records + checkpoints): {o * 1e3:.0f} ms   bare loop: {b * 1e3:.0f} ms "
        f"(medians of {args.repeats})"
    )
    print(
        f"  overhead {100 * (o / b - 1):+.1f}%  (target ≤ +10%); "
        f"checkpoint {statistics.median(checkpoints) / 1e3:.0f} kB at every evaluation point"
    )
    print(f"  without checkpoints: {n * 1e3:.0f} ms, overhead {100 * (n / b - 1):+.1f}%")


if __name__ == "__main__":
    main()
