"""``optbench serve`` (the embedded platform), ``optbench token``, ``optbench db``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Annotated

import typer

from shared.config import Settings, get_settings
from worker.command import worker_command

token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="the user the token is for")],
    admin: Annotated[bool, typer.Option("--admin", help="give the user the admin role")] = False,
    label: Annotated[str, typer.Option(help="what the token is for")] = "cli",
) -> None:
    """Print a new token for user NAME (created if missing); it is shown only once."""
    from shared.accounts import create_token
    from shared.db.session import session_scope

    with session_scope(get_settings().database_url) as session:
        _, token = create_token(session, name, label, admin=admin)
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str | None, typer.Argument(help="the token to revoke")] = None,
    user: Annotated[str | None, typer.Option("--user", help="revoke every token of USER")] = None,
) -> None:
    """Revoke a token, or all tokens of a user; requests with them get 401 from now on."""
    from shared.accounts import revoke_tokens
    from shared.db.session import session_scope

    if (token is None) == (user is None):
        typer.echo("error: give either a TOKEN or --user NAME", err=True)
        raise typer.Exit(2)
    with session_scope(get_settings().database_url) as session:
        count = revoke_tokens(session, token=token, user_name=user)
    typer.echo(f"revoked {count} token(s)")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    from shared.db.migrate import upgrade

    upgrade(get_settings().database_url)
    typer.echo("database is at the latest revision")


def ensure_local_token(settings: Settings) -> str:
    """The embedded admin token: reuse the one on disk while it is valid, else mint one."""
    from shared.accounts import authenticate, create_token
    from shared.db.session import session_scope

    path = settings.token_file
    with session_scope(settings.database_url) as session:
        if path.exists():
            token = path.read_text().strip()
            if authenticate(session, token) is not None:
                return token
        _, token = create_token(session, "local", "embedded", admin=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def _die_with_parent() -> None:
    """Runs in the worker child before exec: if `optbench serve` dies, so does it."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def start_worker(settings: Settings, concurrency: int) -> subprocess.Popen[bytes]:
    """A Celery worker on both queues, as a child process with the same settings, in its
    own process group (so stopping it stops its pool processes too)."""
    env = {
        **os.environ,
        "OPTBENCH_HOME": str(settings.home),
        "OPTBENCH_DATABASE_URL": settings.database_url,
        "OPTBENCH_BROKER_URL": settings.broker_url,
    }
    return subprocess.Popen(
        worker_command(concurrency=concurrency, beat_schedule=settings.home / "beat-schedule"),
        env=env,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Warm shutdown first (running tasks finish or go back to the queue); then force.
    Acknowledgement is late, so a killed task is delivered again, never lost."""
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=8)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    except ProcessLookupError:
        pass


def serve(
    host: Annotated[str | None, typer.Option(help="default: OPTBENCH_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="default: OPTBENCH_PORT or 8000")] = None,
    workers: Annotated[int, typer.Option(help="worker processes", min=1, max=64)] = 2,
) -> None:
    """Run the platform on this machine: the API and a worker, with SQLite and
    a broker in SQLite (no external servers) unless OPTBENCH_DATABASE_URL / _BROKER_URL
    point elsewhere. Migrates on start; prints the URL and the local admin token."""
    import uvicorn

    from api.app import create_app
    from shared.db.migrate import upgrade

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    token = ensure_local_token(settings)
    host, port = host or settings.host, port or settings.port

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    # A SIGTERM before uvicorn takes over its signals (or re-raised by it after a graceful
    # shutdown) must still reach the `finally` below, which stops the worker's group.
    signal.signal(signal.SIGTERM, _exit)
    worker = start_worker(settings, workers)
    typer.echo(f"optbench is running at http://{host}:{port}  (API docs: /docs)")
    typer.echo(f"admin token: {token}  (saved in {settings.token_file})", err=False)
    sys.stdout.flush()
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    finally:
        stop_worker(worker)
