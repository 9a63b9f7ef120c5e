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
import sys
import time
from collections.abc import Callable

import torch
from rich.console import Console
from rich.table import Table

from bench.gpu_exactness import resume_row, sharpness_row
from bench.gpu_rows import Row, Sizes
from bench.gpu_training import minilm_row, resnet_rows, runner_rows

FULL = Sizes(True, 256, 5, 30, 10_000, 32, 128, 30, 512, "cnn", 20_000, 3, 128, 3)
TINY = Sizes(False, 2, 0, 1, 16, 4, 16, 2, 64, "mlp", 400, 2, 32, 1)

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
