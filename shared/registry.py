"""Named things the platform can be extended with, wherever they come from.

Optimizers and tasks come from three places, and one registry serves both kinds:

* **built in**: declared in this repository;
* **installed packages**: an entry point in a group (``optbench.optimizers``,
  ``optbench.tasks``): ``name = "package.module:Object"``;
* **server configuration**: an environment variable an admin sets,
  ``OPTBENCH_OPTIMIZERS="lion=lion_pytorch:Lion,…"``. A member's spec only ever names
  what is registered; it never names code.

Discovery reads the entry points' metadata (no plugin code runs) and then *describes*
each contribution: a kind-specific function imports the object and turns it into a
JSON-able declaration (hyperparameters, options, metrics…). Describing runs in a child
process, so the API process never imports a plugin (plugins import torch; a plugin that
crashes or hangs at import cannot take the server down), and its answers are kept in a
cache file keyed by each package's name and version, so a restart with the same packages
spawns nothing. Workers import plugins directly, to run them.

A name taken twice is refused, with a log line naming both claimants: a plugin never
shadows a built-in, and two plugins with one name are both left out (which would win is
not decided by anything a lab controls). A contribution that cannot be described is
listed as unavailable, with the reason.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

log = logging.getLogger(__name__)

Source = Literal["builtin", "package", "configuration"]
#: Seconds one child process may take to describe every plugin of a group.
DESCRIBE_TIMEOUT = 120.0


@dataclass(frozen=True)
class Origin:
    """Where a registered thing comes from; runs record it, so results stay attributable."""

    source: Source
    package: str | None = None
    version: str | None = None
    #: ``module:Object`` for plugins.
    target: str | None = None

    def __str__(self) -> str:
        if self.source == "builtin":
            return "built in"
        where = f"{self.package} {self.version}" if self.package else "no installed package"
        if self.source == "configuration":
            return f"server configuration ({self.target}, {where})"
        return f"{where} ({self.target})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "package": self.package,
            "version": self.version,
            "target": self.target,
            "text": str(self),
        }


BUILTIN = Origin("builtin")


class RegistryConfigError(ValueError):
    """A malformed server setting (e.g. ``OPTBENCH_OPTIMIZERS``), naming the variable."""


@dataclass(frozen=True)
class Contribution:
    """One plugin found in metadata or configuration, not yet loaded."""

    name: str
    target: str
    origin: Origin


def load_object(target: str) -> Any:
    """Import ``module:attribute[.attribute…]``."""
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"{target!r} is not of the form module:Object")
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


def _distribution_of(module: str) -> tuple[str | None, str | None]:
    """The installed distribution (and version) that provides top-level ``module``."""
    top = module.split(".")[0]
    names = importlib.metadata.packages_distributions().get(top) or []
    for name in names:
        try:
            return name, importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None, None


def installed_contributions(group: str) -> list[Contribution]:
    """Every entry point of ``group`` in the environment, with its package and version."""
    found = []
    for point in importlib.metadata.entry_points(group=group):
        dist = getattr(point, "dist", None)
        origin = Origin(
            "package",
            package=dist.name if dist is not None else None,
            version=dist.version if dist is not None else None,
            target=point.value,
        )
        found.append(Contribution(point.name, point.value, origin))
    return sorted(found, key=lambda c: (c.name, c.target))


def configured_contributions(text: str | None, variable: str) -> list[Contribution]:
    """``name=module:Object`` pairs, comma separated, from the server setting ``variable``."""
    found = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, target = (part.strip() for part in item.partition("="))
        if not sep or not name or ":" not in target:
            raise RegistryConfigError(f"{variable}: {item!r} is not of the form name=module:Object")
        # The providing package is found where the plugin is described (reading every
        # installed package's file list costs a start-up a third of a second).
        found.append(Contribution(name, target, Origin("configuration", target=target)))
    return found


def module_stamp(target: str) -> str:
    """Where ``target``'s top-level module lives and when it last changed, found without
    importing it: part of the cache key of a configured plugin, which has no version."""
    top = target.partition(":")[0].split(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return "missing"
    where = spec.origin if spec is not None and spec.origin else None
    if where is None or not os.path.exists(where):
        return "unlocated"
    return f"{where}:{os.stat(where).st_mtime_ns}"


@dataclass(frozen=True)
class Unavailable:
    """A contribution listed in the catalog but not usable, and why."""

    name: str
    origin: Origin
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "origin": self.origin.as_dict(), "reason": self.reason}


T = TypeVar("T")


@dataclass
class Registry(Generic[T]):
    """Built-ins plus what discovery added, by name, with each entry's origin.

    ``kind`` names the things in messages ("optimizer", "task"); ``group`` is the
    entry-point group; ``variable`` the server setting naming extra contributions.
    """

    kind: str
    group: str
    variable: str | None = None
    entries: dict[str, T] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    unavailable: dict[str, Unavailable] = field(default_factory=dict)
    #: One line per refused contribution (a name collision), as logged.
    refusals: list[str] = field(default_factory=list)

    def add_builtin(self, name: str, entry: T) -> None:
        self.entries[name] = entry
        self.origins[name] = BUILTIN

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def get(self, name: str) -> T | None:
        return self.entries.get(name)

    def names(self) -> list[str]:
        return list(self.entries)

    def contributions(self, environment: Mapping[str, str] | None = None) -> list[Contribution]:
        """Installed entry points and configured ones, collisions refused (logged)."""
        environment = os.environ if environment is None else environment
        found = installed_contributions(self.group)
        if self.variable:
            found += configured_contributions(environment.get(self.variable), self.variable)
        by_name: dict[str, list[Contribution]] = {}
        for contribution in found:
            by_name.setdefault(contribution.name, []).append(contribution)
        kept = []
        for name, claimants in by_name.items():
            if name in self.entries:
                for c in claimants:
                    self._refuse(
                        f"{self.kind} {name!r} from {c.origin} refused: the name is taken by "
                        f"the {self.origins[name]} {self.kind} {name!r}"
                    )
            elif len(claimants) > 1:
                self._refuse(
                    f"{self.kind} {name!r} refused: claimed by "
                    + " and by ".join(str(c.origin) for c in claimants)
                    + "; rename one of them"
                )
            else:
                kept.append(claimants[0])
        return kept

    def _refuse(self, line: str) -> None:
        log.error("%s", line)
        self.refusals.append(line)

    def register(
        self,
        contributions: Iterable[Contribution],
        descriptions: Mapping[str, dict[str, Any]],
        adopt: Callable[[Contribution, dict[str, Any]], T],
    ) -> None:
        """Adopt each described contribution; one whose description is an error (or
        which ``adopt`` refuses with a ValueError) is listed as unavailable."""
        for c in contributions:
            described = descriptions.get(c.name) or {"error": "not described"}
            if described.get("package") and c.origin.package is None:
                c = Contribution(
                    c.name,
                    c.target,
                    Origin(c.origin.source, described["package"], described["version"], c.target),
                )
            try:
                if "error" in described:
                    raise ValueError(described["error"])
                self.entries[c.name] = adopt(c, described["declaration"])
                self.origins[c.name] = c.origin
            except ValueError as error:
                reason = str(error)
                log.error("%s %r from %s is unavailable: %s", self.kind, c.name, c.origin, reason)
                self.unavailable[c.name] = Unavailable(c.name, c.origin, reason)


# -- describing plugins in a child process, with a cache ------------------------------

#: Answers this process has had already (a test suite builds many apps).
_described: dict[str, dict[str, dict[str, Any]]] = {}


def describe_in_child(
    describer: str,
    contributions: list[Contribution],
    cache_dir: Path | None,
    *,
    timeout: float = DESCRIBE_TIMEOUT,
) -> dict[str, dict[str, Any]]:
    """``{name: {"declaration": …} | {"error": reason}}`` for each contribution, as the
    function ``describer`` (``module:function``, taking a name and a target, returning a
    JSON-able declaration) answers in a fresh interpreter. Kept for this process, and in
    ``cache_dir`` per set of packages and versions when every plugin could be described
    (None: no file; what a plugin author's ``optbench optimizers`` commands use, since an
    edited plugin keeps its version)."""
    if not contributions:
        return {}
    payload = [{"name": c.name, "target": c.target} for c in contributions]
    stamps = [
        (
            c.name,
            c.target,
            str(c.origin),
            module_stamp(c.target) if c.origin.package is None else "",
        )
        for c in contributions
    ]
    key = hashlib.sha256(json.dumps([describer, sys.executable, stamps]).encode()).hexdigest()[:24]
    cached = cache_dir / f"plugins-{key}.json" if cache_dir is not None else None
    answers = _described.get(key)
    if answers is None and cached is not None and cached.is_file():
        try:
            answers = json.loads(cached.read_text())
        except (OSError, ValueError):
            answers = None
    if answers is None:
        answers = _describe_now(describer, payload, timeout)
        if any("error" in a and a.get("fatal") for a in answers.values()):
            return answers  # the child itself failed: try again next time
    _described[key] = answers
    failed = any("error" in a for a in answers.values())  # maybe fixed without a new version
    if cached is not None and not failed and not cached.is_file():
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            temporary = cached.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(answers))
            temporary.replace(cached)
        except OSError:
            pass
    return answers


def _describe_now(
    describer: str, payload: list[dict[str, str]], timeout: float
) -> dict[str, dict[str, Any]]:
    """Run the child; a child that fails or hangs describes every plugin as an error
    (``fatal``: not cached)."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "shared.registry", describer],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONPATH": _import_path()},
        )
    except subprocess.TimeoutExpired:
        reason = f"describing plugins took over {timeout:g} s (a plugin hangs on import?)"
        return {p["name"]: {"error": reason, "fatal": True} for p in payload}
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        reason = f"describing plugins failed: {last}"
        return {p["name"]: {"error": reason, "fatal": True} for p in payload}
    return json.loads(result.stdout)


def _import_path() -> str:
    """This process's import path for the child, so it sees the same code."""
    here = str(Path(__file__).resolve().parents[1])
    existing = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join(p for p in (here, existing) if p)


def describe_here(describer: str, items: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    """What the child process runs: each item described, one error never stopping the rest."""
    describe = load_object(describer)
    answers: dict[str, dict[str, Any]] = {}
    for item in items:
        package, version = _distribution_of(item["target"].partition(":")[0])
        try:
            answer = {"declaration": describe(item["name"], item["target"])}
        except Exception as error:  # a plugin's failure is its own, in one line
            text = str(error).strip().splitlines()[0] if str(error).strip() else ""
            answer = {"error": f"{type(error).__name__}: {text}".rstrip(": ")}
        answers[item["name"]] = {**answer, "package": package, "version": version}
    return answers


if __name__ == "__main__":
    # What plugins print while importing goes to stderr; stdout carries the answer alone.
    answer_to, sys.stdout = sys.stdout, sys.stderr
    answer_to.write(json.dumps(describe_here(sys.argv[1], json.load(sys.stdin))))
