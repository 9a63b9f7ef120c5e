"""``optbench serve`` (the embedded platform) and ``optbench db``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Annotated

import typer

from shared.config import Settings, get_settings
from shared.db.session import sqlite_path
from shared.private_files import (
    make_private,
    private_file,
    private_folder,
    write_private_atomically,
)
from worker.command import worker_command
from worker.lifetime import DIE_WITH_PARENT, die_with_parent

#: The embedded admin: its user and the name of its token.
LOCAL_USER, LOCAL_TOKEN_NAME = "local", "embedded"

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


def create_token_in_database(name: str, label: str, admin: bool) -> str:
    """A new token for user NAME written straight into the configured database: how a
    deployment's first admin gets a token (``optbench token create --database``)."""
    from shared.accounts import create_token
    from shared.db.session import session_scope

    with session_scope(get_settings().database_url) as session:
        _, token = create_token(session, name, label, admin=admin)
    return token


def revoke_tokens_in_database(token: str | None, user: str | None) -> int:
    from shared.accounts import revoke_tokens
    from shared.db.session import session_scope

    with session_scope(get_settings().database_url) as session:
        return revoke_tokens(session, token=token, user_name=user)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    from shared.db.migrate import upgrade

    upgrade(get_settings().database_url)
    typer.echo("database is at the latest revision")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="a revision id, `-1` for one step, `base`")],
) -> None:
    """Undo migrations down to REVISION (Optuna's tables, kept apart, are untouched)."""
    from shared.db.migrate import downgrade

    downgrade(get_settings().database_url, revision)
    typer.echo(f"database is at revision {revision}")


def ensure_local_token(settings: Settings, *, new: bool = False) -> str:
    """The embedded admin token: reuse the one on disk while it is valid, else mint one.
    With ``new``, mint one and revoke every earlier local admin token. The file is
    replaced atomically and is readable by its owner only."""
    from shared.accounts import authenticate, create_token, revoke_tokens
    from shared.db.session import session_scope

    path = settings.token_file
    with session_scope(settings.database_url) as session:
        if path.exists() and not new:
            token = path.read_text().strip()
            if authenticate(session, token) is not None:
                return token
        if new:
            revoke_tokens(session, user_name=LOCAL_USER, token_name=LOCAL_TOKEN_NAME)
        _, token = create_token(session, LOCAL_USER, LOCAL_TOKEN_NAME, admin=True)
    private_folder(path.parent)
    write_private_atomically(path, token + "\n")
    return token


def private_home(settings: Settings) -> None:
    """The home folder 0700; its databases, broker and token 0600, created so if missing
    and corrected if someone widened them."""
    files = [settings.token_file]
    for url in (settings.database_url, settings.broker_url.removeprefix("sqla+")):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            files.append(private_file(path))
    make_private(settings.home, files)


def start_worker(
    settings: Settings, concurrency: int, instance: str = ""
) -> subprocess.Popen[bytes]:
    """A Celery worker on both queues, as a child process with the same settings, in its
    own process group (so stopping it stops its pool processes too). Every process of it
    gets the parent-death signal, so it dies with `optbench serve` even on ``kill -9``."""
    env = {
        **os.environ,
        "OPTBENCH_HOME": str(settings.home),
        "OPTBENCH_DATABASE_URL": settings.database_url,
        "OPTBENCH_BROKER_URL": settings.broker_url,
        "OPTBENCH_INSTANCE_ID": instance,
        DIE_WITH_PARENT: "1",
    }
    return subprocess.Popen(
        worker_command(concurrency=concurrency, beat_schedule=settings.home / "beat-schedule"),
        env=env,
        start_new_session=True,
        # runs in the child before exec: if `optbench serve` dies, so does the worker
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
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
    new_token: Annotated[
        bool, typer.Option("--new-token", help="mint a new local admin token, revoking the old")
    ] = False,
) -> None:
    """Run the platform on this machine: the API and a worker, with SQLite and
    a broker in SQLite (no external servers) unless OPTBENCH_DATABASE_URL / _BROKER_URL
    point elsewhere. Migrates on start; prints the URL and the local admin token.

    Runs left ``running`` by a previous server on this home folder that died (``kill
    -9``, a power cut) are queued again at once and resume from their checkpoints."""
    import uvicorn

    from api.app import create_app
    from shared.db.migrate import upgrade
    from shared.instances import HomeInUse, lock_home, new_embedded_instance

    settings = get_settings()
    private_home(settings)
    try:
        lock = lock_home(settings.home)  # held (by the kernel) until this process ends
    except HomeInUse as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    upgrade(settings.database_url)
    private_home(settings)  # files the migration created
    token = ensure_local_token(settings, new=new_token)
    host, port = host or settings.host, port or settings.port
    instance = new_embedded_instance(settings.home)
    resumed = requeue_interrupted(settings, instance)

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    # A SIGTERM before uvicorn takes over its signals (or re-raised by it after a graceful
    # shutdown) must still reach the `finally` below, which stops the worker's group.
    signal.signal(signal.SIGTERM, _exit)
    worker = start_worker(settings, workers, instance)
    typer.echo(f"optbench is running at http://{host}:{port}  (API docs: /docs)")
    typer.echo(f"admin token: {token}  (saved in {settings.token_file})", err=False)
    if resumed:
        typer.echo(f"resuming {resumed} run(s) interrupted when the previous server stopped")
    sys.stdout.flush()
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    finally:
        stop_worker(worker)
        lock.close()


def requeue_interrupted(settings: Settings, instance: str) -> int:
    """Queue again, and send at once, the runs an earlier server on this home left
    running (they resume ahead of the runs waiting for their turn)."""
    from api.queue import Dispatcher
    from shared.db.session import session_scope
    from shared.dispatch import mark_sent
    from shared.instances import embedded_prefix, requeue_orphans

    with session_scope(settings.database_url) as session:
        runs = requeue_orphans(session, prefix=embedded_prefix(settings.home), current=instance)
        outgoing = mark_sent(runs)
        session.flush()
    Dispatcher(settings).deliver(outgoing)  # after the commit, so the worker sees the rows
    return len(outgoing)
