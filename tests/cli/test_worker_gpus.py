"""``optbench worker --gpus``: the plan of one pinned worker process per GPU, tested on the
CPU by the processes and variables it would start, and the processes it does start."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

import cli.worker
from cli.main import app
from cli.worker import run_plan
from worker.command import (
    GpuSelectionError,
    WorkerProcess,
    gpu_worker_plan,
    select_gpus,
    visible_gpus,
)
from worker.lifetime import DIE_WITH_PARENT


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_one_pinned_process_per_device() -> None:
    plan = gpu_worker_plan(["0", "2"])
    assert [p.name for p in plan] == ["gpu0", "gpu2"]
    assert [p.env["CUDA_VISIBLE_DEVICES"] for p in plan] == ["0", "2"]
    for process in plan:
        assert process.command[:6] == [sys.executable, "-m", "celery", "-A", "worker.app", "worker"]
        assert option(process.command, "-Q") == "gpu"
        assert option(process.command, "--concurrency") == "1"
        assert process.env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
        assert process.env[DIE_WITH_PARENT] == "1"
        assert "--beat" not in process.command  # the scheduler runs once, elsewhere
    names = [option(p.command, "--hostname") for p in plan]
    assert names == ["gpu0@%h", "gpu2@%h"]  # Celery nodes on one host must differ


def test_queues_concurrency_order_and_uuid_devices() -> None:
    (process,) = gpu_worker_plan(
        ["GPU-8f6e"], "gpu,cpu", concurrency=2, device_order="FASTEST_FIRST"
    )
    assert process.name == "gpu-GPU-8f6e" and process.env["CUDA_VISIBLE_DEVICES"] == "GPU-8f6e"
    assert option(process.command, "-Q") == "gpu,cpu"
    assert option(process.command, "--concurrency") == "2"
    assert process.env["CUDA_DEVICE_ORDER"] == "FASTEST_FIRST"


def test_visible_devices_follow_an_inherited_cuda_visible_devices() -> None:
    assert visible_gpus(4, {}) == ["0", "1", "2", "3"]
    assert visible_gpus(0, {}) == []
    assert visible_gpus(2, {"CUDA_VISIBLE_DEVICES": "3, 1"}) == ["3", "1"]
    # CUDA stops at the first entry it cannot use: only `count` of them are devices
    assert visible_gpus(1, {"CUDA_VISIBLE_DEVICES": "5,7"}) == ["5"]
    assert visible_gpus(1, {"CUDA_VISIBLE_DEVICES": "GPU-ab12"}) == ["GPU-ab12"]


def test_selection_all_and_indices() -> None:
    visible = ["0", "1", "2", "3"]
    assert select_gpus("all", visible) == visible
    assert select_gpus("0,2", visible) == ["0", "2"]
    assert select_gpus("3", visible) == ["3"]
    # indices count within what this process sees: the children get the real names
    assert select_gpus("1", ["6", "7"]) == ["7"]


@pytest.mark.parametrize(
    ("selection", "visible", "message"),
    [
        ("all", [], "--gpus all: no CUDA device is visible on this machine"),
        ("0", [], "no CUDA device is visible"),
        ("0,4", ["0", "1"], "no device 4; this machine shows 2 (0–1)"),
        ("0,0", ["0", "1"], "device 0 is named twice"),
        ("first", ["0"], "'first' is not a device index"),
        ("0,-1", ["0", "1"], "'-1' is not a device index"),
    ],
)
def test_a_bad_selection_is_one_line(selection: str, visible: list[str], message: str) -> None:
    with pytest.raises(GpuSelectionError) as raised:
        select_gpus(selection, visible)
    assert message in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_gpus_all_without_cuda_says_so_in_one_line() -> None:
    result = CliRunner().invoke(app, ["worker", "--gpus", "all"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no CUDA device is visible" in lines[0]


def test_the_command_starts_the_plan_for_the_devices_it_sees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[list[WorkerProcess]] = []
    monkeypatch.setattr(cli.worker, "cuda_device_count", lambda: 3)  # as on a 3-GPU machine
    monkeypatch.setattr(cli.worker, "run_plan", lambda plan: started.append(plan) or 0)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)
    assert CliRunner().invoke(app, ["worker", "--gpus", "0,2"]).exit_code == 0
    assert CliRunner().invoke(app, ["worker", "--gpus", "all", "-Q", "gpu,cpu"]).exit_code == 0
    assert started[0] == gpu_worker_plan(["0", "2"])
    assert started[1] == gpu_worker_plan(["0", "1", "2"], "gpu,cpu")
    result = CliRunner().invoke(app, ["worker", "--gpus", "3"])
    assert result.exit_code == 2 and "no device 3; this machine shows 3" in result.output
    assert CliRunner().invoke(app, ["worker"]).exit_code == 0  # no --gpus: one CPU worker
    (plain,) = started[2]
    assert option(plain.command, "-Q") == "cpu" and "CUDA_VISIBLE_DEVICES" not in plain.env


def test_started_processes_get_their_device_and_stop_together(tmp_path: Path) -> None:
    """The plan's processes, with a stand-in command line that reports its environment
    (the Celery worker itself needs a broker): each sees only its device; when one ends,
    the others are stopped and its status is returned."""
    report = (
        "import json, os, sys, time; "
        "open(sys.argv[1], 'w').write(json.dumps({k: os.environ.get(k) for k in "
        "('CUDA_VISIBLE_DEVICES', 'CUDA_DEVICE_ORDER', 'OPTBENCH_DIE_WITH_PARENT')})); "
        "time.sleep(float(sys.argv[2])); sys.exit(int(sys.argv[3]))"
    )
    plan = [
        replace(p, command=[sys.executable, "-c", report, str(tmp_path / p.name), *tail])
        for p, tail in zip(gpu_worker_plan(["0", "1"]), [["600", "0"], ["2", "3"]], strict=True)
    ]
    assert run_plan(plan) == 3  # gpu1 ended with status 3, gpu0 was stopped
    for name, device in (("gpu0", "0"), ("gpu1", "1")):
        seen = json.loads((tmp_path / name).read_text())
        assert seen == {
            "CUDA_VISIBLE_DEVICES": device,
            "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
            "OPTBENCH_DIE_WITH_PARENT": "1",
        }
