"""The prepared GPU check runs its CPU mode in the suite, so the script cannot rot: every
row is there, every check passes, and the printed table shows them."""

from __future__ import annotations

import io

import torch
from rich.console import Console

from bench.gpu import TINY, Row, exit_status, run_checks, table

ROWS = [
    "ResNet-50 training, float32, channels_last",
    "ResNet-50 training, bfloat16 autocast, channels_last",
    "CIFAR batches cut, cropped and flipped on the device",
    "MiniLM fine-tuning",
    "exact resume of",
    "sharpness",
    "runner on cpu = bare loop",
    "runner overhead vs the bare loop",
]


def test_the_cpu_mode_runs_every_check_and_each_passes() -> None:
    threads = torch.get_num_threads()
    rows = run_checks(torch.device("cpu"), TINY)
    assert torch.get_num_threads() == threads  # the CPU mode's one thread is given back
    assert len(rows) == len(ROWS)
    for row, start in zip(rows, ROWS, strict=True):
        assert row.check.startswith(start), (row.check, row.measured)
    checks = [row for row in rows if row.kind == "check"]
    assert [row.check for row in checks if not row.passed] == []
    assert all(row.verdict == "pass" for row in checks)
    # the speed target is measured either way (a busy machine may miss it)
    (target,) = [row for row in rows if row.kind == "target"]
    assert target.verdict in ("met", "missed") and "%" in target.measured
    assert "images/s" in rows[0].measured and "CPU loader" in rows[2].measured
    assert "steps/s" in rows[3].measured
    resumed, total = rows[4].measured.split(" ")[0].split("/")
    assert resumed == total and int(total) >= 15
    assert exit_status(rows) == 0

    output = io.StringIO()
    Console(file=output, width=160).print(table(rows, "GPU check"))
    printed = output.getvalue()
    assert printed.count("pass") == len(checks) and "FAIL" not in printed


def test_a_failed_check_fails_the_run_and_a_missed_target_does_not() -> None:
    passed = Row("a", "1", "2", True)
    missed = Row("b", "+30%", "≤ +10%", False, kind="target")
    failed = Row("c", "no", "yes", False)
    assert (missed.verdict, failed.verdict) == ("missed", "FAIL")
    assert exit_status([passed, missed]) == 0
    assert exit_status([passed, missed, failed]) == 1
