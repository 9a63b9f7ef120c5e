"""The arrows go one way: api and worker depend on shared; shared on neither; the API
process never loads torch; no module imports another's private names.

(A plain walk over the syntax trees rather than import-linter contracts: every rule here
is about direct imports between this project's packages, which the walk sees completely,
and it needs no tool or configuration of its own.)"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_shared_imports_no_application_layer() -> None:
    layers = {"api", "worker", "cli", "client", "optbench_client", "fastapi", "celery"}
    assert not imported_packages("shared") & layers


def test_the_client_distribution_imports_no_server_code_at_module_level() -> None:
    """optbench-client installs without the server: its modules import none of the
    server's packages, nor PyTorch, when they load (``load_model`` and the sweep figure
    import the server's code inside the call, where it is optional)."""
    found = set()
    for path in (ROOT / "client").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    assert not found & {"shared", "api", "worker", "cli", "torch", "safetensors", "sqlalchemy"}


def test_api_never_imports_the_worker() -> None:
    assert "worker" not in imported_packages("api")
    assert "api" not in imported_packages("worker")


PACKAGES = ("api", "worker", "shared", "cli", "client", "bench")


def private_imports() -> list[str]:
    """``from package.module import _name`` anywhere in the project's packages."""
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.module
                    and node.module.split(".")[0] in PACKAGES
                ):
                    found += [
                        f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                        for alias in node.names
                        if alias.name.startswith("_") and not alias.name.startswith("__")
                    ]
    return found


def test_no_module_imports_private_names_of_another() -> None:
    assert private_imports() == []


def test_api_process_does_not_load_torch() -> None:
    code = (
        "import sys, api.app; app = api.app.create_app(); "
        "import api.services.distribution, shared.spec; "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"OPTBENCH_HOME": "/tmp/optbench-arch-check", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
