"""``optbench tasks check NAME``: does a task behave as the protocol needs?

The population protocol compares optimizers on the same initial weights and the same data
order (a paired design) and treats each evaluation as a measurement. So a task must give
the same data whenever it loads, the same weights from the same seed, the same
evaluation of the same model, and every metric it declares. The check builds the task at
its smallest size (the declaration's ``check_options``, overridable) and verifies each,
one line per check; a failure says what differed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from pydantic import ValidationError

from shared.protocol.runner import Batches, Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.tasks.base import Task, TaskData
from shared.tasks.options import TaskOptionError
from shared.tasks.registry import build_task, runnable_declaration

CHECK_BATCH = 16


@dataclass(frozen=True)
class CheckResult:
    check: str
    passed: bool
    detail: str


def same(a: Any, b: Any) -> bool:
    """Exact equality of (nested dicts, tuples and lists of) tensors and plain values."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def check_task(
    name: str, options: Mapping[str, Any] | None = None, data_root: Any = None
) -> list[CheckResult]:
    """Build task ``name`` twice at its smallest size and check it; stops after a build
    failure (nothing else can be checked then). ``UnknownTaskError`` and
    ``TaskOptionError`` for a name or options that are wrong."""
    declaration = runnable_declaration(name)
    chosen = {**declaration.check_options, **(options or {})}
    try:  # the caller's mistake, not the task's: raised, not reported as a check
        declaration.validate_options(chosen)
    except ValidationError as error:
        raise TaskOptionError.from_validation(error) from None
    results: list[CheckResult] = []

    def record(check: str, run: Callable[[], str]) -> bool:
        try:
            detail = run()
        except AssertionError as failure:
            results.append(CheckResult(check, False, str(failure)))
            return False
        except Exception as error:  # the task's own failure, in one line
            results.append(CheckResult(check, False, _one_line(error)))
            return False
        results.append(CheckResult(check, True, detail))
        return True

    built: dict[str, tuple[Task, TaskData]] = {}

    def build() -> str:
        for copy in ("first", "second"):
            task = build_task(name, chosen, data_root)
            built[copy] = (task, task.load())
        _, data = built["first"]
        sizes = f"{len(data.train)} training and {len(data.test)} test examples"  # type: ignore[arg-type]
        return f"options {chosen or 'defaults'}: {sizes}, {data.num_labels} outputs"

    if not record("builds and loads", build):
        return results
    (task, data), (twin, again) = built["first"], built["second"]

    def data_is_reproducible() -> str:
        for split in ("train", "test"):
            ours, theirs = getattr(data, split), getattr(again, split)
            assert len(ours) == len(theirs), f"{split}: {len(ours)} then {len(theirs)} examples"
            index = torch.arange(min(len(ours), 64))
            first = Batches(ours, len(index), 0, data.collate)(0)
            second = Batches(theirs, len(index), 0, again.collate)(0)
            assert same(first, second), f"{split}: loading twice gave different examples"
        order = Batches(data.train, CHECK_BATCH, 7, data.collate)
        reorder = Batches(again.train, CHECK_BATCH, 7, again.collate)
        steps = min(order.per_epoch + 1, 4)  # into the second epoch when it is short
        for step in range(steps):
            assert same(order(step), reorder(step)), f"seeded batch {step} differed"
        return f"same examples on every load; seeded batches 0–{steps - 1} identical"

    def weights_are_reproducible() -> str:
        states = []
        for seed, builder in ((11, task), (11, twin), (12, task)):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                states.append(builder.build_model(data.num_labels).state_dict())
        assert same(states[0], states[1]), "the same seed gave different initial weights"
        assert not same(states[0], states[2]), "different seeds gave the same initial weights"
        count = sum(t.numel() for t in states[0].values())
        return f"{count:,} values equal from one seed, different from another"

    records: list[Any] = []

    def evaluation_is_deterministic() -> str:
        config = TrajectoryConfig(
            "sgd",
            {"lr": 0.01},
            trajectory_seeds(0, "sgd", 0),
            Budget(gradient_evaluations=2),
            batch_size=CHECK_BATCH,
        )
        first = TrajectoryRunner(task, data, config).run()
        second = TrajectoryRunner(twin, again, config).run()
        one, two = [r.comparable() for r in first], [r.comparable() for r in second]
        assert one == two, f"two identical runs recorded {one} and {two}"
        records.extend(first)
        return f"{len(first)} evaluations, identical over two runs"

    def metrics_are_reported() -> str:
        assert records, "no evaluation to read"
        reported = records[-1].metrics
        problems = []
        for metric in declaration.metrics:
            value = reported.get(metric.name)
            if value is None or not math.isfinite(value):
                problems.append(f"{metric.name} is {value}")
            elif (metric.minimum is not None and value < metric.minimum) or (
                metric.maximum is not None and value > metric.maximum
            ):
                problems.append(
                    f"{metric.name} = {value:g} outside [{metric.minimum}, {metric.maximum}]"
                )
        assert not problems, "; ".join(problems)
        return ", ".join(f"{m.name} = {reported[m.name]:.4g}" for m in declaration.metrics)

    record("data and seeded order reproducible", data_is_reproducible)
    record("initial weights reproducible", weights_are_reproducible)
    if record("evaluation deterministic", evaluation_is_deterministic):
        record("every declared metric reported", metrics_are_reported)
    return results
