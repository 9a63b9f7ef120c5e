"""The GPU check's speed rows: ResNet-50 and the CIFAR data path, MiniLM, and the
trajectory runner against a bare loop (see ``bench/gpu.py``)."""

from __future__ import annotations

import copy
import math
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import default_collate

from bench.gpu_rows import Clock, Row, Sizes, mnist1d, rate, relative
from shared.optim import build, minibatch_closure
from shared.protocol.runner import Batches, Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
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
