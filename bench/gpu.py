"""The prepared GPU check: what a CUDA worker must do well, measured and checked, in one table.

    python -m bench.gpu                 # CUDA when present (under 8 minutes), else tiny on the CPU
    python -m bench.gpu --device cpu    # the CPU mode (tiny sizes, under a minute)

Rows (each compares against something and says pass or FAIL; the speed target says met
or missed):

* ResNet-50 (the ``cifar10`` task's model, CIFAR stem) training throughput in images/s,
  float32 and bfloat16 autocast, NCHW and channels_last; channels_last is checked against
  NCHW and bfloat16 against float32 on the loss of one batch;
* CIFAR batches cut, cropped and flipped on the device against a CPU loader (per-image
  ``__getitem__``, augmentation on the CPU, a copy per batch): training images/s with
  each, the batches against a per-image reference, and the device loader's own rate
  against the training rate (a loader slower than the model starves it);
* the packaged MiniLM (``minilm_text``) fine-tuning step rate, float32 and bfloat16
  autocast, checked by its loss on the batch falling;
* exact resume of every registered optimizer: state (generator included) saved as a
  checkpoint, loaded into host memory as the worker does, resumed on the device, trained
  on, and saved again, against the uninterrupted run, bit for bit;
* sharpness (Lanczos) of one model on the device against the CPU in float64;
* the trajectory runner against a bare loop on the device (``mnist1d``'s CNN): the same
  records, and its overhead against the 10% target.

The exit status is 1 when a check fails (a missed speed target alone does not fail it).
"""

from __future__ import annotations

import argparse
import copy
import functools
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.table import Table
from torch import nn
from torch.utils.data import default_collate

from shared.artifacts.weights import checkpoint_bytes, load_checkpoint
from shared.optim import build, minibatch_closure
from shared.optim.declarations import REGISTRY
from shared.protocol.runner import Batches, Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.protocol.sharpness import SharpnessSettings, model_sharpness
from shared.tasks.augment import draw_crop_flip, random_crop_flip
from shared.tasks.classification import classification_metrics
from shared.tasks.registry import build_task
from shared.tasks.vision import CROP_PADDING, Cifar10Task, CifarImages

#: The runner's overhead target against a bare loop (as ``bench/runner.py``).
OVERHEAD_TARGET = 0.10
#: channels_last against NCHW: the same maths in another order (and TF32 convolutions
#: on a GPU, PyTorch's default), so the losses agree to about 1e-3.
LAYOUT_TOLERANCE = 1e-2
#: bfloat16 keeps 8 bits of mantissa: a 50-layer network's loss agrees to a few percent.
BFLOAT16_TOLERANCE = 5e-2


@dataclass(frozen=True)
class Sizes:
    #: The CIFAR stem keeps 32×32 feature maps into the first stage; the ImageNet stem
    #: (the tiny mode's) quarters them, 16× fewer operations for the same 50 layers.
    cifar_stem: bool
    resnet_batch: int
    warmup: int
    steps: int
    cifar_images: int
    minilm_batch: int
    minilm_length: int
    minilm_steps: int
    sharpness_batch: int
    #: mnist1d's model for sharpness and the runner: the CNN exercises convolutions'
    #: double backward, which PyTorch's CPU kernels take 10× longer over than the MLP's.
    mnist1d_model: str
    runner_samples: int
    runner_epochs: float
    runner_batch: int
    repeats: int


FULL = Sizes(True, 256, 5, 30, 10_000, 32, 128, 30, 512, "cnn", 20_000, 3, 128, 3)
TINY = Sizes(False, 2, 0, 1, 16, 4, 16, 2, 64, "mlp", 400, 2, 32, 1)


@dataclass(frozen=True)
class Row:
    check: str
    measured: str
    compared: str
    passed: bool
    #: ``check``: a correctness comparison (fails the run); ``target``: a speed target.
    kind: str = "check"

    @property
    def verdict(self) -> str:
        if self.kind == "target":
            return "met" if self.passed else "missed"
        return "pass" if self.passed else "FAIL"


class Clock:
    """Wall time of work on ``device``, waiting for the device's queue at both ends."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def time(self, work: Callable[[], Any]) -> float:
        self.sync()
        started = time.perf_counter()
        work()
        self.sync()
        return time.perf_counter() - started


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def rate(per_second: float) -> str:
    return f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:.2f}"


# -- ResNet-50 and the CIFAR data path --------------------------------------------------


def synthetic_cifar(count: int) -> CifarImages:
    """CIFAR-shaped uint8 images and labels in the task's own dataset class."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (count, 3, 32, 32), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (count,), generator=generator)
    return CifarImages(images, labels, Cifar10Task.mean, Cifar10Task.std, augment=True)


Loader = Callable[[int], tuple[torch.Tensor, torch.Tensor]]


def device_loader(dataset: CifarImages, size: int) -> Loader:
    """The runner's path on a GPU: the set on the device, one indexing op, crop and flip
    and normalisation there (seeded order and draws per step)."""
    return Batches(dataset, size, 0, None)


def cpu_loader(dataset: CifarImages, size: int, device: torch.device) -> Loader:
    """A CPU loader: per-image reads (what a ``Dataset`` under a ``DataLoader`` does), the
    same augmentation on the CPU, then a copy of each batch to the device."""

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(step))
        items = [(dataset.images[int(i)], dataset.labels[int(i)]) for i in order[:size]]
        raw, labels = default_collate(items)
        raw = random_crop_flip(raw, CROP_PADDING, torch.Generator().manual_seed(step))
        inputs = (raw.float().div_(255.0) - dataset.mean) / dataset.std
        return inputs.to(device, non_blocking=True), labels.to(device, non_blocking=True)

    return batch


def train_rate(
    model: nn.Module,
    loader: Loader,
    sizes: Sizes,
    clock: Clock,
    *,
    bfloat16: bool,
    layout: torch.memory_format,
) -> float:
    """Training images/s of ``model`` (already in ``layout``): the platform's SGD with
    momentum, through its closure, as the runner steps."""
    optimizer = build("sgd", model.parameters(), model=model, lr=0.01, momentum=0.9)

    def steps(start: int, count: int) -> None:
        for step in range(start, start + count):
            inputs, labels = loader(step)
            inputs = inputs.contiguous(memory_format=layout)
            closure = minibatch_closure(model, nn.functional.cross_entropy, inputs, labels)
            with torch.autocast(clock.device.type, torch.bfloat16, enabled=bfloat16):
                optimizer.step(closure)

    steps(0, sizes.warmup)
    seconds = clock.time(lambda: steps(sizes.warmup, sizes.steps))
    return sizes.resnet_batch * sizes.steps / seconds


def batch_loss(
    model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, bfloat16: bool
) -> float:
    """The loss of one batch in eval mode: the batch statistics of a small batch (two
    values per channel at 1×1) would turn rounding differences into large ones."""
    model.eval()
    with torch.no_grad(), torch.autocast(inputs.device.type, torch.bfloat16, enabled=bfloat16):
        loss = float(nn.functional.cross_entropy(model(inputs).float(), labels))
    model.train()
    return loss


def resnet_rows(device: torch.device, sizes: Sizes) -> list[Row]:
    clock = Clock(device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        initial = build_task("cifar10", {"cifar_stem": sizes.cifar_stem}).build_model(10)
    dataset = synthetic_cifar(sizes.cifar_images)
    on_device = dataset.to(device)
    inputs, labels = on_device.batch(torch.arange(sizes.resnet_batch))
    losses, rates = {}, {}
    for bfloat16 in (False, True):
        for layout in (torch.contiguous_format, torch.channels_last):
            model = copy.deepcopy(initial).to(device).to(memory_format=layout)
            x = inputs.contiguous(memory_format=layout)
            losses[bfloat16, layout] = batch_loss(model, x, labels, bfloat16)
            loader = device_loader(on_device, sizes.resnet_batch)
            rates[bfloat16, layout] = train_rate(
                model, loader, sizes, clock, bfloat16=bfloat16, layout=layout
            )
    nchw, last = torch.contiguous_format, torch.channels_last
    layout_gap = relative(losses[False, last], losses[False, nchw])
    precision_gap = relative(losses[True, last], losses[False, last])
    speedup = rates[True, last] / rates[False, last]
    return [
        Row(
            f"ResNet-50 training, float32, channels_last (batch {sizes.resnet_batch}"
            + (")" if sizes.cifar_stem else ", ImageNet stem)"),
            f"{rate(rates[False, last])} images/s (NCHW {rate(rates[False, nchw])})",
            f"loss vs NCHW: rel. diff {layout_gap:.1e} ≤ {LAYOUT_TOLERANCE:g}",
            layout_gap <= LAYOUT_TOLERANCE,
        ),
        Row(
            "ResNet-50 training, bfloat16 autocast, channels_last",
            f"{rate(rates[True, last])} images/s, ×{speedup:.2f} float32 "
            f"(NCHW {rate(rates[True, nchw])})",
            f"loss vs float32: rel. diff {precision_gap:.1e} ≤ {BFLOAT16_TOLERANCE:g}",
            precision_gap <= BFLOAT16_TOLERANCE,
        ),
        data_path_row(initial, dataset, on_device, rates[True, last], sizes, clock),
    ]


def reference_batch(dataset: CifarImages, index: torch.Tensor, seed: int) -> torch.Tensor:
    """One image at a time in NumPy, as torchvision does: pad, crop, mirror, normalise."""
    draws = draw_crop_flip(len(index), CROP_PADDING, torch.Generator().manual_seed(seed))
    pad = ((0, 0), (CROP_PADDING, CROP_PADDING), (CROP_PADDING, CROP_PADDING))
    images = []
    for k, i in enumerate(index.tolist()):
        padded = np.pad(dataset.images[i].numpy(), pad)
        top, left = draws.offsets[k].tolist()
        crop = padded[:, top : top + 32, left : left + 32]
        images.append(np.ascontiguousarray(crop[:, :, ::-1] if draws.flips[k] else crop))
    raw = torch.from_numpy(np.stack(images))
    return (raw.float().div_(255.0) - dataset.mean) / dataset.std


def data_path_row(
    initial: nn.Module,
    dataset: CifarImages,
    on_device: CifarImages,
    with_device: float,
    sizes: Sizes,
    clock: Clock,
) -> Row:
    """Training images/s (bfloat16, channels_last: the fastest model starves first) with
    the data on the device (``with_device``, measured already) and with a CPU loader;
    the device's batches against the per-image reference; the device loader's own rate
    against the training rate."""
    index = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(1))[:64]
    batch, _ = on_device.batch(index, torch.Generator().manual_seed(3))
    same = torch.allclose(batch.cpu(), reference_batch(dataset, index, 3), rtol=0, atol=1e-6)
    size, last = sizes.resnet_batch, torch.channels_last
    model = copy.deepcopy(initial).to(clock.device).to(memory_format=last)
    loader = cpu_loader(dataset, size, clock.device)
    with_cpu = train_rate(model, loader, sizes, clock, bfloat16=True, layout=last)
    loader, count = device_loader(on_device, size), max(sizes.steps, 10)
    loading = size * count / clock.time(lambda: [loader(step) for step in range(count)])
    fast_enough = loading >= with_device
    return Row(
        "CIFAR batches cut, cropped and flipped on the device (bfloat16, channels_last)",
        f"{rate(with_device)} images/s training; with a CPU loader {rate(with_cpu)}",
        f"batches = per-image reference: {'yes' if same else 'NO'}; device loader alone "
        f"{rate(loading)} images/s {'≥' if fast_enough else '<'} training",
        same and fast_enough,
    )


# -- MiniLM -------------------------------------------------------------------------------


def minilm_rate(
    task: Any,
    data: Any,
    inputs: dict,
    labels: torch.Tensor,
    sizes: Sizes,
    clock: Clock,
    bfloat16: bool,
) -> tuple[float, float, float]:
    """Steps/s of the platform's SGD on one batch, and the batch's loss (eval mode)
    before and after."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = task.build_model(data.num_labels).to(clock.device)
    optimizer = build("sgd", model.parameters(), model=model, lr=0.02, momentum=0.9)

    def loss() -> float:
        model.eval()
        with torch.no_grad():
            value = float(task.loss(model(inputs).float(), labels))
        model.train()
        return value

    def steps(count: int) -> None:
        for _ in range(count):
            closure = minibatch_closure(model, task.loss, inputs, labels)
            with torch.autocast(clock.device.type, torch.bfloat16, enabled=bfloat16):
                optimizer.step(closure)

    before = loss()
    steps(sizes.warmup)
    seconds = clock.time(lambda: steps(sizes.minilm_steps))
    return sizes.minilm_steps / seconds, before, loss()


def minilm_row(device: torch.device, sizes: Sizes) -> Row:
    task = build_task("minilm_text", {"num_examples": 100, "max_length": sizes.minilm_length})
    data = task.load()
    # padded to max_length (the task's collate would trim to the longest sentence)
    inputs, labels = Batches(data.train, sizes.minilm_batch, 0, default_collate)(0)
    inputs = {key: value.to(device) for key, value in inputs.items()}
    labels, clock = labels.to(device), Clock(device)
    f32, before, after = minilm_rate(task, data, inputs, labels, sizes, clock, False)
    bf16, bf_before, bf_after = minilm_rate(task, data, inputs, labels, sizes, clock, True)
    tokens = inputs["input_ids"].shape[1]
    return Row(
        f"MiniLM fine-tuning (minilm_text, batch {sizes.minilm_batch}, {tokens} tokens)",
        f"{rate(f32)} steps/s float32; {rate(bf16)} bfloat16 autocast",
        f"loss on its batch falls: {before:.3f} → {after:.3f} (bfloat16 {bf_before:.3f} → "
        f"{bf_after:.3f})",
        after < before and bf_after < bf_before,
    )


# -- exact resume of every optimizer ----------------------------------------------------

#: Small tau and large eps, so perturbations, hops and acceptance happen within the steps.
ACTIVE = {
    "nim_sgd": {"eps": 10.0, "tau": 3},
    "nig_bh": {"eps": 1e-9, "tau": 3},
    "nim_bh": {"eps": 1e-9, "tau": 3, "rho": 0.05},
    "nig_mbh": {"eps": 1e-9, "tau": 3},
    "nim_mbh": {"eps": 1e-9, "tau": 3, "rho": 0.05},
}


def small_model(seed: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))


def same_state(a: Any, b: Any) -> bool:
    """Equal bit for bit: tensors (compared on the CPU), containers, numbers."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a.cpu(), b.cpu())
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
        )
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def on_device(state: Any, device: torch.device) -> Iterator[bool]:
    """Whether each floating-point tensor of an optimizer's per-parameter state is on
    ``device`` (the generator's state is bytes on the CPU by design)."""
    if isinstance(state, torch.Tensor):
        if state.is_floating_point() and state.dim() > 0:
            yield state.device.type == device.type
    elif isinstance(state, dict):
        for value in state.values():
            yield from on_device(value, device)


def resume_problem(name: str, device: torch.device, steps: tuple[int, int]) -> str | None:
    """None when optimizer ``name`` resumes exactly on ``device``, else what differed."""
    generator = torch.Generator().manual_seed(11)
    data = [
        (
            torch.randn(8, 6, generator=generator).to(device),
            torch.randint(0, 3, (8,), generator=generator).to(device),
        )
        for _ in range(sum(steps))
    ]
    loss = nn.functional.cross_entropy

    def make(model: nn.Module, seed: int) -> Any:
        return build(
            name, model.parameters(), seed=seed, model=model, lr=0.05, **ACTIVE.get(name, {})
        )

    def train(optimizer: Any, model: nn.Module, batches: list) -> None:
        for x, y in batches:
            optimizer.step(minibatch_closure(model, loss, x, y))

    model = small_model(0).to(device)
    optimizer = make(model, seed=7)
    train(optimizer, model, data[: steps[0]])
    saved = load_checkpoint(
        checkpoint_bytes({"model": model.state_dict(), "optimizer": optimizer.state_dict()})
    )  # host memory, as the worker loads it
    train(optimizer, model, data[steps[0] :])

    resumed_model = small_model(1).to(device)
    resumed_model.load_state_dict(saved["model"])
    resumed = make(resumed_model, seed=999)  # seed and generator come from the checkpoint
    resumed.load_state_dict(saved["optimizer"])
    if not all(on_device(resumed.state_dict()["state"], device)):
        return "state left off the device"
    train(resumed, resumed_model, data[steps[0] :])
    if not same_state(model.state_dict(), resumed_model.state_dict()):
        return "weights differ"
    back = load_checkpoint(checkpoint_bytes({"optimizer": resumed.state_dict()}))["optimizer"]
    expected = load_checkpoint(checkpoint_bytes({"optimizer": optimizer.state_dict()}))["optimizer"]
    if not same_state(back, expected):
        return "state saved again differs"
    return None


def resume_row(device: torch.device) -> Row:
    names = REGISTRY.names()
    problems = {}
    for name in names:
        try:
            problem = resume_problem(name, device, (4, 5))
        except Exception as error:  # a failure of one optimizer is a row's detail
            problem = f"{type(error).__name__}: {error}"
        if problem is not None:
            problems[name] = problem
    exact = len(names) - len(problems)
    detail = "; ".join(f"{k}: {v}" for k, v in problems.items())
    return Row(
        f"exact resume of {len(names)} optimizers: checkpoint → {device.type} → checkpoint",
        f"{exact}/{len(names)} bit for bit" + (f" ({detail})" if detail else ""),
        "weights, counters and state (generator included) vs the uninterrupted run",
        not problems,
    )


@functools.lru_cache(maxsize=2)
def mnist1d(samples: int, model: str) -> tuple[Any, Any]:
    """The mnist1d task and its data (generated once for both rows that use it)."""
    task = build_task("mnist1d", {"num_samples": samples, "architecture": model})
    return task, task.load()


# -- sharpness ----------------------------------------------------------------------------


def sharpness_row(device: torch.device, sizes: Sizes) -> Row:
    task, data = mnist1d(sizes.runner_samples, sizes.mnist1d_model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = task.build_model(data.num_labels)
    batches = Batches(data.train, 64, 0, None)
    optimizer = build("sgd", model.parameters(), model=model, lr=0.05)
    for step in range(20):  # away from the initial weights
        optimizer.step(minibatch_closure(model, task.loss, *batches(step)))
    inputs, targets = (
        data.train.tensors[0][: sizes.sharpness_batch],
        data.train.tensors[1][: sizes.sharpness_batch],
    )
    settings = SharpnessSettings(iterations=60)
    reference = model_sharpness(
        copy.deepcopy(model).double(), task.loss, inputs.double(), targets, settings
    )
    measured = model_sharpness(
        copy.deepcopy(model).to(device), task.loss, inputs.to(device), targets.to(device), settings
    )
    tolerance = 2 * settings.tolerance
    if measured.eigenvalue is None or reference.eigenvalue is None:
        gap = math.inf
    else:
        gap = relative(measured.eigenvalue, reference.eigenvalue)
    converged = bool(measured.converged and reference.converged)
    return Row(
        f"sharpness (mnist1d {sizes.mnist1d_model.upper()}, batch {sizes.sharpness_batch}), "
        f"{device.type} float32",
        f"λ = {measured.eigenvalue:.5g} in {measured.products} products",
        f"CPU float64 λ = {reference.eigenvalue:.5g}: rel. diff {gap:.1e} ≤ {tolerance:g}"
        + ("" if converged else " (not converged)"),
        converged and gap <= tolerance,
    )


# -- the runner against a bare loop -----------------------------------------------------


def bare_loop(task: Any, data: Any, config: TrajectoryConfig, runner: TrajectoryRunner) -> list:
    """What a researcher writes by hand, on the device: the loop, torch's SGD, and the
    same evaluations at the same steps."""
    device = torch.device(config.device)
    data = data.on(device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seeds.init)
        model = task.build_model(data.num_labels).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.hyperparameters["lr"])
    batches = Batches(data.train, config.batch_size, config.seeds.data, data.collate)
    results = []

    def evaluate(step: int) -> None:
        model.eval()
        train = runner._losses_and_predictions(model, data.train, runner.train_eval_index)
        test = runner._losses_and_predictions(model, data.test, torch.arange(len(data.test)))
        model.train()
        results.append((step, train[0], classification_metrics(test[1], test[2], False)))

    evaluate(0)
    for step in range(1, runner.total_steps + 1):
        inputs, targets = batches(step - 1)
        optimizer.zero_grad()
        task.loss(model(inputs), targets).backward()
        optimizer.step()
        if step % runner.evaluate_interval == 0 or step == runner.total_steps:
            evaluate(step)
    return results


def runner_rows(device: torch.device, sizes: Sizes) -> list[Row]:
    clock = Clock(device)
    task, data = mnist1d(sizes.runner_samples, sizes.mnist1d_model)
    config = TrajectoryConfig(
        "sgd",
        {"lr": 0.05},
        trajectory_seeds(0, "sgd", 0),
        Budget(epochs=sizes.runner_epochs),
        batch_size=sizes.runner_batch,
        evaluate_every=0.5,
        device=device.type,
    )
    checkpoints: list[int] = []  # what the worker does with them, minus the database

    def keep(record: Any, checkpoint: bytes) -> None:
        checkpoints.append(len(checkpoint))

    runner = TrajectoryRunner(task, data, config, keep)
    runner.run(), bare_loop(task, data, config, runner)  # warm-up
    ours, bare = [], []
    for _ in range(sizes.repeats):  # interleaved, so drifts in load hit both
        ours.append(clock.time(runner.run))
        bare.append(clock.time(lambda: bare_loop(task, data, config, runner)))
    records, baseline = runner.run(), bare_loop(task, data, config, runner)
    same_steps = [r.step for r in records] == [step for step, *_ in baseline]
    gap = relative(records[-1].train_loss or math.inf, baseline[-1][1])
    o, b = statistics.median(ours), statistics.median(bare)
    overhead = o / b - 1
    return [
        Row(
            f"runner on {device.type} = bare loop (mnist1d {sizes.mnist1d_model.upper()}, "
            f"{runner.total_steps} steps)",
            f"{len(records)} records at the loop's steps: {'yes' if same_steps else 'NO'}",
            f"final training loss vs the loop's: rel. diff {gap:.1e} ≤ 1e-2",
            same_steps and gap <= 1e-2,
        ),
        Row(
            "runner overhead vs the bare loop (records and checkpoints)",
            f"{overhead:+.1%} ({o:.2f} s vs {b:.2f} s, median of {sizes.repeats})",
            f"target ≤ +{OVERHEAD_TARGET:.0%}",
            overhead <= OVERHEAD_TARGET,
            kind="target",
        ),
    ]


# -- the table ------------------------------------------------------------------------------


def run_checks(device: torch.device, sizes: Sizes) -> list[Row]:
    """Every row, in order. On the CPU with one intra-op thread: tiny tensors gain
    nothing from more, and on a busy machine OpenMP's waits made each small op up to a
    hundred times slower."""
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)
    rows: list[Row] = []
    sections: list[tuple[str, Callable[[], list[Row]]]] = [
        ("ResNet-50 and the CIFAR data path", lambda: resnet_rows(device, sizes)),
        ("MiniLM fine-tuning", lambda: [minilm_row(device, sizes)]),
        ("exact resume of every optimizer", lambda: [resume_row(device)]),
        ("sharpness", lambda: [sharpness_row(device, sizes)]),
        ("the runner against a bare loop", lambda: runner_rows(device, sizes)),
    ]
    try:
        for name, section in sections:
            try:
                rows.extend(section())
            except Exception as error:  # one broken section must not hide the others
                message = " ".join(f"{type(error).__name__}: {error}".split())[:300]
                rows.append(Row(name, message, "the section raised", False))
                if device.type == "cuda":
                    torch.cuda.empty_cache()  # e.g. after running out of memory
    finally:
        torch.set_num_threads(threads)
    return rows


def table(rows: list[Row], title: str) -> Table:
    result = Table(title=title, show_lines=True)
    result.add_column("check", ratio=3)
    result.add_column("measured", ratio=3)
    result.add_column("compared with", ratio=3)
    result.add_column("verdict", no_wrap=True)
    colours = {"pass": "green", "met": "green", "FAIL": "bold red", "missed": "yellow"}
    for row in rows:
        result.add_row(
            row.check, row.measured, row.compared, f"[{colours[row.verdict]}]{row.verdict}"
        )
    return result


def describe(device: torch.device, sizes: Sizes) -> str:
    scale = "full sizes" if sizes == FULL else "tiny sizes"
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU, one thread"
    return f"{name}, torch {torch.__version__}, {scale}"


def exit_status(rows: list[Row]) -> int:
    """1 when a check failed; a missed speed target is reported, not failed."""
    return 1 if any(row.kind == "check" and not row.passed for row in rows) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument(
        "--sizes", choices=["auto", "full", "tiny"], default="auto", help="auto: full on CUDA"
    )
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda: no CUDA device is visible", file=sys.stderr)
        return 2
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if cuda else "cpu")
    sizes = FULL if args.sizes == "full" or (args.sizes == "auto" and cuda) else TINY
    started = time.perf_counter()
    rows = run_checks(device, sizes)
    title = f"GPU check on {describe(device, sizes)} ({time.perf_counter() - started:.0f} s)"
    Console(width=160).print(table(rows, title))
    return exit_status(rows)


if __name__ == "__main__":
    sys.exit(main())
