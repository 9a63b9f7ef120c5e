"""optbench-client as a researcher installs it on a laptop: ``pip install './client[cli]'``
into a fresh virtual environment with no PyTorch, then against a running server (``optbench
serve``): submit an experiment and wait for it, DataFrames equal to the API's JSON, the
remote commands, one line for the server's commands, for a wrong token and a wrong URL;
and ``import torch`` still fails there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.platform.conftest import ROOT, free_port, stop, wait_until

pytestmark = pytest.mark.serial

SCRIPT = r"""
import json, math, sys
import httpx
from optbench_client import Client

url, token = sys.argv[1], sys.argv[2]
client = Client(url, token)
spec = {"kind": "landscape", "functions": ["himmelblau"], "optimizers": ["sgd", "nim_mbh"],
        "restarts": 40, "iterations": 300, "seed": 3}
experiment = client.submit(spec)
state = client.wait(experiment, timeout=180, poll=0.2)
raw = httpx.get(f"{url}/api/v1/experiments/{experiment}/distribution",
                headers={"Authorization": f"Bearer {token}"}).json()
frame = client.distribution_frame(experiment)
rows = [{"function": f["function"], **o} for f in raw["functions"] for o in f["optimizers"]]
checked = 0
for index, row in enumerate(rows):
    for key in ("counts", "fractions"):
        for basin, value in row[key].items():
            got = frame.iloc[index][f"{key}.{basin}"]
            assert got == value, (key, basin, got, value)
            checked += 1
    assert frame.iloc[index]["optimizer"] == row["optimizer"]
try:
    import torch  # noqa: F401
    torch_importable = True
except ImportError:
    torch_importable = False
print(json.dumps({"experiment": experiment, "status": str(state.status), "checked": checked,
                  "torch": torch_importable, "modules": sorted(m for m in sys.modules
                  if m.split(".")[0] in ("torch", "shared", "api", "worker", "cli"))}))
"""


@pytest.fixture(scope="module")
def light_venv() -> Iterator[Path]:
    """A fresh virtual environment (no system site packages) with optbench-client[cli]
    installed from a copy of client/, at the versions of constraints.txt."""
    with tempfile.TemporaryDirectory(prefix="optbench-light-") as scratch:
        venv, source = Path(scratch) / "venv", Path(scratch) / "client"
        shutil.copytree(
            ROOT / "client", source, ignore=shutil.ignore_patterns("build", "*.egg-info")
        )
        # Nothing of this environment leaks in (PYTHONPATH would let pip skip packages).
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPTBENCH_", "PYTHON"))}
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], check=True, env=clean, timeout=120
        )
        install = ["install", "--quiet", "-c", str(ROOT / "constraints.txt"), f"{source}[cli]"]
        subprocess.run(
            [venv / "bin" / "python", "-m", "pip", *install], check=True, env=clean, timeout=900
        )
        yield venv


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTBENCH_")}
    env["OPTBENCH_HOME"] = str(tmp_path_factory.mktemp("home"))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=90)
        yield url, (Path(env["OPTBENCH_HOME"]) / "token").read_text().strip()
    finally:
        stop(process)


def light(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Run a program of the light environment from a folder outside this repository."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPTBENCH_", "PYTHON"))}
    return subprocess.run(
        args,
        cwd=tempfile.gettempdir(),
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_light_client_installs_without_torch_and_works(light_venv: Path, server) -> None:
    url, token = server
    python, optbench = str(light_venv / "bin" / "python"), str(light_venv / "bin" / "optbench")
    installed = light(python, "-m", "pip", "list", "--format=json")
    names = {p["name"].lower() for p in json.loads(installed.stdout)}
    assert "optbench-client" in names and not names & {"torch", "optbench", "celery", "sqlalchemy"}

    ran = light(python, "-c", SCRIPT, url, token)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["status"] == "succeeded" and result["checked"] >= 4
    assert result["torch"] is False and result["modules"] == []

    listed = light(optbench, "list", "--url", url, "--token", token)
    assert listed.returncode == 0, listed.stderr
    assert str(result["experiment"]) in listed.stdout
    remote = {"OPTBENCH_URL": url, "OPTBENCH_TOKEN": token}
    status = light(optbench, "status", str(result["experiment"]), env=remote)
    assert status.returncode == 0 and "succeeded" in status.stdout

    serve = light(optbench, "serve")
    assert serve.returncode == 2
    assert serve.stderr.strip().splitlines() == [
        "error: `optbench serve` runs the platform and needs the optbench package, which is "
        "not installed here (optbench-client has the remote commands only): pip install optbench"
    ]
    wrong_token = light(optbench, "list", "--url", url, "--token", "obt_not-a-token")
    assert wrong_token.returncode == 2
    assert wrong_token.stderr.strip().splitlines() == [
        f"error: HTTP 401: the server at {url} refused the token (the token is not valid); "
        "check OPTBENCH_TOKEN or --token"
    ]
    nowhere = f"http://127.0.0.1:{free_port()}"
    wrong_url = light(optbench, "list", "--url", nowhere, "--token", token)
    assert wrong_url.returncode == 2
    [line] = wrong_url.stderr.strip().splitlines()
    assert line.startswith(f"error: cannot reach an optbench server at {nowhere}: ")


def test_the_client_is_versioned_with_the_server_and_stays_light() -> None:
    server = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    client = tomllib.loads((ROOT / "client" / "pyproject.toml").read_text())["project"]
    from optbench_client import __version__

    assert __version__ == server["version"]
    assert f"optbench-client[cli,figures]=={__version__}" in server["dependencies"]
    names = {d.split(">")[0].split("=")[0].split("[")[0].lower() for d in client["dependencies"]}
    assert names == {"httpx", "pydantic", "pandas", "pyyaml"}
