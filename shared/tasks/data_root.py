"""The data root: the one directory under which every dataset and local model lives.

Specs name datasets and models by paths *relative* to the root (``data_dir: cifar10-small``,
``model: bert-base-uncased`` under ``models/``), never by absolute paths, so a member
cannot make a worker read (or unpickle) files anywhere else. Two layers check this:

* :func:`relative_name` is lexical (no absolute path, no ``..``, no backslash) and needs no
  filesystem: the spec's option models apply it, so a bad name is a 422 at submission.
* :meth:`DataRoot.directory` and :meth:`DataDirectory.child` resolve symlinks and refuse a
  target outside the root; the submission check runs them where the root is visible, and
  the worker runs them again before it opens a file.

Messages show paths relative to the root (``cifar10/data_batch_3``), never a server's
absolute paths. This module imports neither torch nor the task loaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

#: Longest accepted relative name, in characters, and path component, in bytes.
MAX_NAME_LENGTH = 200
MAX_PART_BYTES = 255
#: Most entries :meth:`DataDirectory.check_links` looks at.
MAX_WALKED_ENTRIES = 10_000
#: Sub-directory of the root that holds local model directories.
MODELS_DIRECTORY = "models"


class TaskDataError(FileNotFoundError):
    """A dataset or model is missing, malformed or outside the data root; the message names
    the path (relative to the root) and the expected format, in one line."""


class DataPathError(TaskDataError):
    """A name leads outside the data root (absolute, ``..``, or a symlink pointing out)."""


def relative_name(value: str, where: str = "the data root") -> str:
    """``value`` if it is a safe name relative to ``where`` (``cifar10``,
    ``tweeteval-2020/emotion``), normalised to forward slashes without ``.`` parts;
    ``ValueError`` saying why otherwise."""
    if not value or not value.strip():
        raise ValueError("must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"at most {MAX_NAME_LENGTH} characters")
    if "\x00" in value or "\\" in value:
        raise ValueError("must not contain backslashes or NUL characters")
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).drive or value.startswith("~"):
        raise ValueError(f"must be a path relative to {where}, not an absolute one")
    parts = [part for part in PurePosixPath(value).parts if part != "."]
    if ".." in parts:
        raise ValueError(f"must not contain '..': it would lead outside {where}")
    if not parts:
        raise ValueError(f"must name a sub-directory of {where}")
    if any(len(part.encode()) > MAX_PART_BYTES for part in parts):
        raise ValueError(f"a path component is longer than {MAX_PART_BYTES} bytes")
    return "/".join(parts)


def _resolve(path: Path, shown: str) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        raise DataPathError(f"{shown} cannot be resolved (a symlink loop?)") from None


@dataclass(frozen=True)
class DataDirectory:
    """A directory inside the root: where it is (``path``, symlinks resolved) and how
    messages show it (``shown``, relative to the root)."""

    root: Path
    path: Path
    shown: str

    def child(self, name: str) -> Path:
        """``path / name``, refusing a symlink that points outside the root."""
        candidate = self.path / name
        if not _resolve(candidate, self.show(name)).is_relative_to(self.root):
            raise DataPathError(f"{self.show(name)} is a link that leads outside the data root")
        return candidate

    def show(self, name: str | Path) -> str:
        """A file of this directory as messages show it: relative to the root."""
        return str(PurePosixPath(self.shown, *PurePosixPath(str(name)).parts))

    def exists(self) -> bool:
        return self.path.is_dir()

    def check_links(self, max_entries: int = MAX_WALKED_ENTRIES) -> None:
        """Refuse the directory if anything in it (looked at down to ``max_entries``
        entries) is a link leading outside the root: for directories handed whole to a
        library (a model to ``from_pretrained``), which opens files it finds there."""
        for count, entry in enumerate(self.path.rglob("*")):
            if count >= max_entries:
                raise DataPathError(f"{self.shown}/ holds more than {max_entries} entries")
            if entry.is_symlink():
                self.child(str(entry.relative_to(self.path)))

    def sub(self, name: str) -> DataDirectory:
        """A sub-directory, checked like :meth:`DataRoot.directory`."""
        return DataDirectory(
            self.root, _resolve(self.child(name), self.show(name)), self.show(name)
        )


class DataRoot:
    """The configured root (``OPTBENCH_DATA_DIR``), with the checks above."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"DataRoot({str(self.path)!r})"

    @property
    def resolved(self) -> Path:
        return self.path.resolve()

    def directory(self, name: str, option: str = "data_dir") -> DataDirectory:
        """The sub-directory ``name`` (relative to the root); :class:`DataPathError` naming
        ``task_options.<option>`` when the name or a symlink on the way leads outside."""
        try:
            relative = relative_name(name)
        except ValueError as error:
            raise DataPathError(f"task_options.{option}: {name!r} {error}") from None
        root = _resolve(self.path, "the data root")
        target = _resolve(root / relative, f"task_options.{option}: {relative!r}")
        if not target.is_relative_to(root):
            raise DataPathError(
                f"task_options.{option}: {relative!r} is a link that leads outside the data root"
            )
        return DataDirectory(root, target, relative)

    def redact(self, text: str) -> str:
        """``text`` with the root's absolute path removed, for messages members see."""
        for prefix in {str(self.resolved), str(self.path)}:
            text = text.replace(prefix + "/", "").replace(prefix, "<data root>")
        return text
