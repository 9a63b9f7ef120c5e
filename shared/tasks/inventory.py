"""What a data root holds, task by task: the files each dataset needs, which are there and
which are missing, and the local model directories. ``optbench data check`` prints it.

Only names and sizes are looked at (no file is opened), so a check of a large root is
quick; the loaders validate contents when a run reads them. Torch-free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from shared.tasks.data_root import MODELS_DIRECTORY, DataPathError, DataRoot
from shared.tasks.layouts import LAYOUTS, MODEL_EXPECTED, MODEL_FILES, DatasetLayout

#: Most sub-directories of the root (or of models/) looked at.
MAX_DIRECTORIES = 200

Readiness = Literal["ready", "incomplete", "missing"]


class DatasetCheck(BaseModel):
    """One dataset directory: what a task would read there."""

    task: str
    #: Relative to the data root, e.g. ``cifar10`` or ``tweeteval/emotion``.
    directory: str
    status: Readiness
    present: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    missing_optional: list[str] = Field(default_factory=list)
    #: Required files found, and required in all.
    found: int
    required: int
    #: What ``task_options.data_dir`` names to use it (None: the task's default).
    data_dir: str | None = None
    expected: str
    note: str | None = None


class ModelCheck(BaseModel):
    """One directory under ``models/``: a model is ready when every file group is met."""

    name: str
    status: Literal["ready", "incomplete"]
    missing: list[str] = Field(default_factory=list)


class DataRootReport(BaseModel):
    root: str
    exists: bool
    datasets: list[DatasetCheck]
    models: list[ModelCheck]
    model_format: str = MODEL_EXPECTED


def _check_files(
    layout: DatasetLayout, root: DataRoot, name: str, shown: str, default: bool
) -> DatasetCheck:
    """``name`` (relative to the root) against ``layout``; the tarball's own directory
    one level down is accepted, as the loaders accept it."""
    expected = layout.expected
    try:
        directory = root.directory(name)
    except DataPathError as error:
        return DatasetCheck(
            task=layout.task,
            directory=shown,
            status="missing",
            found=0,
            required=len(layout.required),
            missing=list(layout.required),
            expected=expected,
            note=str(error),
        )
    note = None
    if (
        layout.archive_directory
        and not (directory.path / layout.required[-1]).exists()
        and (directory.path / layout.archive_directory).is_dir()
    ):
        directory = directory.sub(layout.archive_directory)
        note = f"read from the extracted {layout.archive_directory}/"
    files = {f: (directory.path / f).is_file() for f in layout.required}
    optional = {f: (directory.path / f).is_file() for f in layout.optional}
    present = [f for f in (*layout.required, *layout.optional) if files.get(f) or optional.get(f)]
    missing = [f for f, found in files.items() if not found]
    if not directory.exists():
        status: Readiness = "missing"
    else:
        status = "ready" if not missing else "incomplete"
    return DatasetCheck(
        task=layout.task,
        directory=directory.shown if directory.exists() else shown,
        status=status,
        present=present,
        missing=missing,
        missing_optional=[f for f, found in optional.items() if not found],
        found=len(files) - len(missing),
        required=len(files),
        data_dir=None if default else name,
        expected=expected,
        note=note,
    )


def _subdirectories(path: Path) -> list[str]:
    if not path.is_dir():
        return []
    names = sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    return names[:MAX_DIRECTORIES]


def check_task(layout: DatasetLayout, root: DataRoot) -> list[DatasetCheck]:
    """The task's default directory; for tasks with variants (TweetEval's subtasks) each
    variant found there, or the default one (``emotion``) when none is."""
    if not layout.variants:
        return [_check_files(layout, root, layout.directory, layout.directory, default=True)]
    base = root.path / layout.directory
    found = [v for v in layout.variants if (base / v).is_dir()]
    checks = []
    for variant in found or [layout.default_variant or layout.variants[0]]:
        relative = f"{layout.directory}/{variant}"
        check = _check_files(layout, root, relative, relative, default=True)
        check.data_dir = None
        check.note = f"subtask {variant}"
        checks.append(check)
    return checks


def check_models(root: DataRoot) -> list[ModelCheck]:
    checks = []
    base = root.path / MODELS_DIRECTORY
    for name in _subdirectories(base):
        directory = base / name
        missing = [
            " or ".join(group)
            for group in MODEL_FILES
            if not any((directory / f).is_file() for f in group)
        ]
        checks.append(
            ModelCheck(name=name, status="incomplete" if missing else "ready", missing=missing)
        )
    return checks


def check_data_root(root: DataRoot, tasks: list[str] | None = None) -> DataRootReport:
    """Every file-backed task (or those in ``tasks``) against ``root``, plus any other
    sub-directory that holds a complete dataset (usable as ``task_options.data_dir``)."""
    layouts = [LAYOUTS[t] for t in tasks] if tasks else list(LAYOUTS.values())
    datasets = [check for layout in layouts for check in check_task(layout, root)]
    known = {layout.directory for layout in LAYOUTS.values()} | {MODELS_DIRECTORY}
    for name in _subdirectories(root.path):
        if name in known:
            continue
        for layout in layouts:
            if layout.variants:
                continue
            check = _check_files(layout, root, name, name, default=False)
            if check.status == "ready":
                datasets.append(check)
    return DataRootReport(
        root=str(root.path.absolute()),
        exists=root.path.is_dir(),
        datasets=datasets,
        models=check_models(root),
    )
