"""The Celery job names are what the broker stores: they stay as they were, so messages
queued by an older version still run, and the worker registers every one of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shared.broker import CELERY_JOBS, RECONCILE_JOB, job_name_for

ROOT = Path(__file__).resolve().parents[1]


def test_the_job_names_stay_stable() -> None:
    assert CELERY_JOBS == {
        "landscape": "optbench.run_landscape",
        "training": "optbench.run_training",
        "tuning": "optbench.run_trial",
    }
    assert RECONCILE_JOB == "optbench.reconcile"
    assert [job_name_for(kind) for kind in ("landscape", "training", "tuning")] == [
        "optbench.run_landscape",
        "optbench.run_training",
        "optbench.run_trial",
    ]


def test_the_worker_registers_every_job(tmp_path: Path) -> None:
    code = (
        "import json; from worker.app import app; app.loader.import_default_modules(); "
        "print(json.dumps(sorted(n for n in app.tasks if n.startswith('optbench.'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"OPTBENCH_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == sorted([*CELERY_JOBS.values(), RECONCILE_JOB])
