"""The embedded home folder: private files, the local admin token, one server per home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli.server import ensure_local_token, private_home
from optbench_client import Client
from optbench_client.transport import is_loopback
from shared.accounts import authenticate
from shared.config import Settings
from shared.db.migrate import upgrade
from shared.db.session import session_scope
from shared.instances import HomeInUse, lock_home
from shared.private_files import mode_of, write_private_atomically


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings(home=home)


def test_home_and_its_files_are_private_and_corrected(settings: Settings, home: Path) -> None:
    old = os.umask(0)  # whatever the user's umask, nothing is created readable by others
    try:
        private_home(settings)
    finally:
        os.umask(old)
    assert mode_of(home) == 0o700
    assert mode_of(home / "optbench.db") == 0o600
    assert mode_of(home / "broker.db") == 0o600
    upgrade(settings.database_url)
    assert mode_of(home / "optbench.db") == 0o600
    for path in (home / "optbench.db", home / "broker.db", home / "optbench.db-wal"):
        if path.exists():
            path.chmod(0o644)
    home.chmod(0o755)
    private_home(settings)  # what `optbench serve` does on start
    assert mode_of(home) == 0o700
    assert all(
        mode_of(p) == 0o600 for p in home.iterdir() if p.name.startswith(("optbench", "broker"))
    )


def test_local_token_is_private_atomic_and_new_token_revokes_the_old(settings: Settings) -> None:
    private_home(settings)
    upgrade(settings.database_url)
    first = ensure_local_token(settings)
    assert mode_of(settings.token_file) == 0o600
    assert settings.token_file.read_text().strip() == first
    assert ensure_local_token(settings) == first  # reused while valid
    second = ensure_local_token(settings, new=True)  # optbench serve --new-token
    assert second != first and settings.token_file.read_text().strip() == second
    with session_scope(settings.database_url) as session:
        assert authenticate(session, first) is None
        user = authenticate(session, second)
        assert user is not None and user.role.value == "admin"
    # nothing half-written is left beside it
    assert [p.name for p in settings.home.iterdir() if p.name.startswith(".token")] == []


def test_atomic_write_replaces_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "token"
    target.write_text("old\n")
    target.chmod(0o644)
    write_private_atomically(target, "new\n")
    assert target.read_text() == "new\n" and mode_of(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["token"]


def test_local_token_goes_to_loopback_urls_only(settings: Settings, monkeypatch) -> None:
    private_home(settings)
    upgrade(settings.database_url)
    token = ensure_local_token(settings)
    monkeypatch.setenv("OPTBENCH_HOME", str(settings.home))
    monkeypatch.delenv("OPTBENCH_TOKEN", raising=False)
    monkeypatch.delenv("OPTBENCH_URL", raising=False)
    for url in ("http://127.0.0.1:8000", "http://localhost:9", "http://[::1]:8000"):
        assert Client(url).token == token, url
    for url in ("http://10.1.2.3:8000", "https://optbench.example.org", "http://127.0.0.1.nip.io"):
        assert Client(url).token is None, url
        assert "authorization" not in {k.lower() for k in Client(url).http.headers}
    monkeypatch.setenv("OPTBENCH_TOKEN", "obt_given")
    assert Client("https://optbench.example.org").token == "obt_given"
    assert is_loopback("http://127.8.9.1") and not is_loopback("not a url")


def test_one_server_per_home(home: Path) -> None:
    home.mkdir()
    held = lock_home(home)
    try:
        with pytest.raises(HomeInUse, match="another optbench serve"):
            lock_home(home)
    finally:
        held.close()
    lock_home(home).close()  # free again once the holder is gone


def test_sqlite_reads_do_not_take_the_write_lock(settings: Settings) -> None:
    """A request reading (and holding its session while it computes) must not make a
    worker's write wait; a write session, by contrast, takes the lock up front."""
    import sqlite3

    from sqlalchemy import select, text

    from shared.db.models import User
    from shared.db.session import read_session_factory, session_factory

    private_home(settings)
    upgrade(settings.database_url)
    path = settings.home / "optbench.db"

    def write_elsewhere() -> None:
        with sqlite3.connect(path, timeout=0.3, isolation_level=None) as other:
            other.execute("BEGIN IMMEDIATE")
            other.execute(
                "INSERT INTO users (name, role, created_at) VALUES (?, 'member', '2026-01-01')",
                (f"u{os.urandom(4).hex()}",),
            )
            other.execute("COMMIT")

    with read_session_factory(settings.database_url)() as reading:
        reading.execute(select(User)).all()
        assert reading.in_transaction()
        write_elsewhere()  # not blocked by the open read transaction
    with session_factory(settings.database_url)() as writing:
        writing.execute(text("SELECT 1"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            write_elsewhere()
    write_elsewhere()


def test_embedded_broker_reports_the_runs_it_still_holds(settings: Settings) -> None:
    """The reconciler's view of the embedded broker: queued messages name their runs."""
    from api.queue import Dispatcher
    from shared.dispatch import Outgoing
    from worker.inflight import runs_in_flight

    private_home(settings)
    dispatcher = Dispatcher(settings)
    runs = [Outgoing(7, "cpu", "training"), Outgoing(9, "gpu", "training")]
    assert dispatcher.publish(runs) == 2
    assert runs_in_flight(settings) == {7, 9}
    assert runs_in_flight(settings.model_copy(update={"broker_url": "memory://"})) is None
