"""The arrows go one way: api and worker depend on shared; shared on neither; the API
process never loads torch; no module imports another's private names. And logic sits in
its layer: shared raises domain errors and the API alone shapes 422 answers; routes share
nothing with each other; the leaderboard is aggregated in its service; worker jobs are
handed their sessions; Celery jobs are named apart from benchmark tasks; the server's
limits are read from one table.

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


def modules(package: str) -> list[tuple[str, ast.Module]]:
    """``(path relative to the root, syntax tree)`` of every module of ``package``."""
    return [
        (str(path.relative_to(ROOT)), ast.parse(path.read_text()))
        for path in sorted((ROOT / package).rglob("*.py"))
    ]


def imports_of(tree: ast.Module) -> set[str]:
    """Every module a syntax tree imports, by its full name (``from a.b import c``: ``a.b``
    and ``a.b.c``, since ``c`` may be a module)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def imported_names(tree: ast.Module) -> set[str]:
    """The names a syntax tree imports from other modules (``from m import name``)."""
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_shared_builds_no_http_error_payloads() -> None:
    """The core library raises domain errors (shared.errors: a field path and a message);
    only the API shapes them into 422 answers (``{"loc": ["body", …], …}``, api.problems).
    Reading pydantic's own error entries (``error["loc"]``) is not building one."""
    found = []
    for path, tree in modules("shared"):
        for node in ast.walk(tree):
            keys = node.keys if isinstance(node, ast.Dict) else []
            if any(isinstance(k, ast.Constant) and k.value == "loc" for k in keys):
                found.append(f"{path}:{node.lineno}: a dict with a 'loc' key")
            if (
                isinstance(node, ast.List)
                and node.elts
                and isinstance(node.elts[0], ast.Constant)
                and node.elts[0].value in ("body", "query")
            ):
                found.append(
                    f"{path}:{node.lineno}: a location list starting {node.elts[0].value!r}"
                )
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "HTTPException":
                found.append(f"{path}:{node.lineno}: HTTPException")
    assert found == []
    assert not imported_packages("shared") & {"starlette", "fastapi"}


def test_routes_do_not_import_other_routes() -> None:
    """What several routes share lives in api/deps (the experiment a path names:
    ``ExperimentDep``), api/services or shared, never in another route module."""
    found = {}
    for path, tree in modules("api/routes"):
        own = path.removesuffix(".py").replace("/", ".")
        others = {
            ".".join(m.split(".")[:3])  # the route module, without the name imported
            for m in imports_of(tree)
            if m.startswith("api.routes.") and not m.startswith(own)
        }
        if others:
            found[path] = others
    assert found == {}


def test_the_leaderboard_is_aggregated_in_its_service() -> None:
    """The board's query and statistics are api/services/leaderboard.py's: only routes and
    services use it, and its route neither queries nor ranks."""
    users = [
        path
        for package in PACKAGES
        for path, tree in modules(package)
        if "api.services.leaderboard" in imports_of(tree)
    ]
    assert users and all(p.startswith(("api/routes/", "api/services/")) for p in users), users
    route = ast.parse((ROOT / "api/routes/leaderboard.py").read_text())
    assert not {m.split(".")[0] for m in imports_of(route)} & {"sqlalchemy", "numpy", "pandas"}
    assert not {"records_frame", "records_frames", "rank_configurations", "set_a"} & (
        imported_names(route)
    )


#: The worker modules that set up a process and may open database engines: the Celery
#: jobs (one session factory per worker process) and the broker's own queue table.
WORKER_WIRING = {"worker/celery_jobs.py", "worker/inflight.py"}
OPENING = {
    "create_engine",
    "engine_for",
    "make_engine",
    "read_session_factory",
    "session_factory",
    "session_scope",
    "sessionmaker",
}


def test_worker_jobs_are_handed_their_sessions() -> None:
    """A job and the run lifecycle use the session factory their worker process hands
    them; they never open an engine or a factory of their own (nor does the trajectory's
    artifact bookkeeping in shared)."""
    found = {
        path: sorted(imported_names(tree) & OPENING)
        for package in ("worker", "shared/artifacts")
        for path, tree in modules(package)
        if path not in WORKER_WIRING and imported_names(tree) & OPENING
    }
    assert found == {}


def test_celery_jobs_are_not_called_tasks() -> None:
    """ "Task" is a benchmark task (a data set and a model); what a worker executes is a
    Celery job, named once, in shared.broker (the names the broker stores)."""
    assert not (ROOT / "worker" / "tasks.py").exists()
    spelled = []
    for package in ("api", "worker", "shared", "cli", "client"):
        for path, tree in modules(package):
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and node.value.startswith(("optbench.run_", "optbench.reconcile"))
                    and path != "shared/broker.py"
                ):
                    spelled.append(f"{path}:{node.lineno}: {node.value}")
                if isinstance(node, ast.Name) and node.id == "TASK_NAMES":
                    spelled.append(f"{path}:{node.lineno}: TASK_NAMES")
    assert spelled == []


def test_the_server_limits_are_read_from_their_one_table() -> None:
    """Which spec field each limit setting bounds is written once (shared/limits.py):
    nothing else reads those settings."""
    from shared.limits import SERVER_LIMITS

    settings = {limit.setting for limit in SERVER_LIMITS}
    found = [
        f"{path}:{node.lineno}: .{node.attr}"
        for package in PACKAGES
        for path, tree in modules(package)
        if path != "shared/limits.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in settings
    ]
    assert found == []
