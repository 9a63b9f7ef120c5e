"""Files only their owner may read: the embedded home folder, its SQLite databases and
the local admin token.

Files are created with their final mode (never created readable and narrowed later),
the token is replaced atomically (a reader sees the old token or the new one, never a
half-written file), and :func:`make_private` corrects modes that someone widened.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
#: SQLite keeps these beside a database in WAL mode; they hold the same data.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_folder(path: Path) -> Path:
    """Create ``path`` (and parents) as needed; the folder itself ends up 0700."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _narrow(path, FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create an empty file with mode 0600 if it is missing; narrow it if it exists."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    except FileExistsError:
        _narrow(path, FILE_MODE)
    return path


def make_private(folder: Path, files: Iterable[Path]) -> None:
    """On start: the folder 0700, each existing file (and SQLite's companions) 0600."""
    private_folder(folder)
    for path in files:
        for candidate in (path, *(path.with_name(path.name + s) for s in SQLITE_COMPANIONS)):
            if candidate.exists():
                _narrow(candidate, FILE_MODE)


def write_private_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600: a temporary file in the same folder
    (created 0600 by ``mkstemp``), flushed to disk, then renamed over ``path``."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _narrow(path: Path, mode: int) -> None:
    if mode_of(path) != mode:
        os.chmod(path, mode)
