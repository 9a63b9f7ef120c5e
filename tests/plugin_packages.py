"""Installing the example plugin packages as a lab would: ``pip install`` of a package
directory, not editable. pip builds from a copy in a scratch directory, so no build
output lands in this repository's tree."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

INSTALL = ["install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"]


def pip_install(package: Path) -> None:
    """Install the package at ``package`` into this interpreter's environment."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / package.name
        shutil.copytree(package, copy, ignore=shutil.ignore_patterns("build", "*.egg-info"))
        subprocess.run([sys.executable, "-m", "pip", *INSTALL, str(copy)], check=True, timeout=600)
    importlib.invalidate_caches()


def pip_uninstall(distribution: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", distribution],
        check=True,
        timeout=300,
    )
    importlib.invalidate_caches()
