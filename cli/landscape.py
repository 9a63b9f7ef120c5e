"""``optbench landscape``: the stationary-distribution study on synthetic functions."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from optbench_client.cli.tables import render_distribution, terminal
from shared.landscapes.functions import PAPER_FUNCTIONS, UnknownLandscapeError, landscape
from shared.landscapes.study import (
    ALL_OPTIMIZERS,
    DEFAULT_CAPTURE_RADIUS,
    DEFAULT_ITERATIONS,
    DEFAULT_RESTARTS,
    StationaryDistribution,
    StudyError,
    stationary_distribution,
    summarize,
    validate_overrides,
)
from shared.optim.declarations import (
    OPTIMIZER_NAMES,
    UnknownOptimizerError,
    declaration,
    hyperparameters,
)
from shared.optim.hyperparameters import HyperparameterError
from shared.sweeps import grid, point_label, validate_sweep


def fail(message: str) -> None:
    """One line on stderr, exit status 2: what a shell user can act on, no traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def parse_overrides(assignments: list[str]) -> dict[str, dict[str, Any]]:
    """``lr=0.01`` (every optimizer that has lr) or ``sam.rho=0.1`` (one optimizer)."""
    overrides: dict[str, dict[str, Any]] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key or not value:
            raise StudyError(
                "--set", f"expected NAME=VALUE or OPTIMIZER.NAME=VALUE, got {assignment!r}"
            )
        owner, dot, name = key.rpartition(".")
        overrides.setdefault(owner if dot else ALL_OPTIMIZERS, {})[name] = value
    return overrides


def parse_sweeps(assignments: list[str]) -> dict[str, dict[str, list[str]]]:
    """``rho=0.1,0.5,1`` (every optimizer that has rho) or ``nim_bh.tau=10,100`` (one)."""
    sweeps: dict[str, dict[str, list[str]]] = {}
    for assignment in assignments:
        key, sep, values = assignment.partition("=")
        if not sep or not key or not values:
            raise StudyError(
                "--sweep", f"expected NAME=V1,V2,… or OPTIMIZER.NAME=V1,V2,…, got {assignment!r}"
            )
        owner, dot, name = key.rpartition(".")
        sweeps.setdefault(owner if dot else ALL_OPTIMIZERS, {})[name] = values.split(",")
    return sweeps


def configurations(
    optimizers: list[str], sweeps: dict[str, dict[str, list[str]]]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Configuration key → (optimizer, swept values): one per optimizer, or one per
    point of its sweep's grid (keys ``nig_sgd@rho=0.5``, as the platform labels them)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in optimizers:
        declared = {h.name for h in hyperparameters(name)}
        grid_spec = {k: v for k, v in sweeps.get(ALL_OPTIMIZERS, {}).items() if k in declared}
        grid_spec |= sweeps.get(name, {})
        if not grid_spec:
            out[name] = (name, {})
            continue
        try:
            validated = validate_sweep(name, grid_spec)
        except HyperparameterError as error:
            raise StudyError(f"{name}.{error.name}", error.reason) from None
        for point in grid(validated):
            out[point_label(name, point)] = (name, point)
    for owner, values in sweeps.items():
        if owner != ALL_OPTIMIZERS and owner not in optimizers:
            raise StudyError(owner, "swept for an optimizer not selected")
        if owner == ALL_OPTIMIZERS:
            for name in values:
                if not any(name in {h.name for h in hyperparameters(o)} for o in optimizers):
                    raise StudyError(name, "no selected optimizer has this hyperparameter")
    return out


def run_study(
    functions: list[str],
    planned: dict[str, tuple[str, dict[str, Any]]],
    overrides: dict[str, dict[str, Any]],
    **options: Any,
) -> dict[str, dict[str, StationaryDistribution]]:
    """Every planned configuration (see :func:`configurations`) on every function:
    ``result[function][key]``."""
    for name in functions:
        landscape(name)
    validate_overrides(sorted({name for name, _ in planned.values()}), overrides)
    study: dict[str, dict[str, StationaryDistribution]] = {}
    for fn in functions:
        results = study.setdefault(landscape(fn).name, {})
        for key, (name, point) in planned.items():
            layered = {k: dict(v) for k, v in overrides.items()}
            layered.setdefault(name, {}).update(point)
            results[key] = stationary_distribution(fn, name, overrides=layered, **options)
    return study


def distribution_entry(
    results: dict[str, StationaryDistribution],
    confidence: float = 0.95,
    points: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One function's results in the API's distribution shape (see optbench_client.cli.tables);
    ``points`` gives the swept values of configurations that are sweep grid points."""
    first = next(iter(results.values()))
    summary = summarize(results, confidence=confidence)
    optimizers = [
        {**results[o.optimizer].as_dict(confidence), **o.as_dict()} for o in summary.optimizers
    ]
    for o, (key, result) in zip(optimizers, results.items(), strict=True):
        o["name"] = result.optimizer
        if points and points.get(key):  # a sweep's grid point
            o["sweep"] = {"of": result.optimizer, "values": points[key]}
    return {
        "function": first.function,
        "minima": [m.as_dict() for m in first.minima],
        "optimizers": optimizers,
        "tests": [p.as_dict() for p in summary.pairs],
    }


def study_json(
    study: dict[str, dict[str, StationaryDistribution]],
    settings: dict[str, Any],
    points: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"settings": settings, "functions": {}}
    for function, results in study.items():
        entry = distribution_entry(results, points=points)
        out["functions"][function] = {
            "minima": entry["minima"],
            "optimizers": {o["optimizer"]: o for o in entry["optimizers"]},
            "tests": entry["tests"],
        }
    return out


def landscape_command(
    function: Annotated[
        list[str] | None,
        typer.Option(
            "--function",
            "-f",
            help="Function name; repeat for several "
            "(default: himmelblau, three_hump_camel, six_hump_camel).",
        ),
    ] = None,
    optimizer: Annotated[
        list[str] | None,
        typer.Option(
            "--optimizer", "-o", help="Optimizer name; repeat for several (default: all)."
        ),
    ] = None,
    restarts: Annotated[int, typer.Option(help="Restarts per optimizer.")] = DEFAULT_RESTARTS,
    iterations: Annotated[
        int, typer.Option(help="Optimizer steps per restart.")
    ] = DEFAULT_ITERATIONS,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Hyperparameter NAME=VALUE for every optimizer that has it, or "
            "OPTIMIZER.NAME=VALUE for one; repeatable.",
        ),
    ] = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option(
            "--sweep",
            help="Run a grid: NAME=V1,V2,… for every optimizer that has it, or "
            "OPTIMIZER.NAME=V1,V2,… for one; up to two hyperparameters per optimizer.",
        ),
    ] = None,
    capture_radius: Annotated[
        float,
        typer.Option(help="An end point within this distance of its minimum has converged."),
    ] = DEFAULT_CAPTURE_RADIUS,
    assignment: Annotated[
        str,
        typer.Option(
            help="basin: the minimum whose basin of attraction holds the end point (a short "
            "polish); radius: the nearest minimum within the capture radius, else `else`."
        ),
    ] = "basin",
    seed: Annotated[int, typer.Option(help="Experiment seed (starts and noise).")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as JSON instead of tables.")
    ] = False,
    plots: Annotated[
        Path | None,
        typer.Option(help="Write PNG figures (end points on contours, distribution bars) here."),
    ] = None,
) -> None:
    """Stationary distributions of optimizers over the known minima of 2-D functions."""
    functions = function or list(PAPER_FUNCTIONS)
    optimizers = optimizer or list(OPTIMIZER_NAMES)
    started = time.perf_counter()
    try:
        for name in optimizers:
            declaration(name)
        planned = configurations(optimizers, parse_sweeps(sweep or []))
        study = run_study(
            functions,
            planned,
            parse_overrides(set_ or []),
            restarts=restarts,
            iterations=iterations,
            capture_radius=capture_radius,
            assignment=assignment,
            seed=seed,
        )
    except (StudyError, HyperparameterError, UnknownOptimizerError, UnknownLandscapeError) as error:
        fail(str(error))
    elapsed = time.perf_counter() - started
    if as_json:
        settings = {
            "restarts": restarts,
            "iterations": iterations,
            "seed": seed,
            "capture_radius": capture_radius,
            "assignment": assignment,
            "seconds": elapsed,
        }
        points = {key: point for key, (_, point) in planned.items()}
        json.dump(study_json(study, settings, points), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        console = terminal()  # six basins fit 100 columns
        for results in study.values():
            first = next(iter(results.values()))
            render_distribution(
                distribution_entry(results),
                console,
                f": {first.restarts} restarts × {first.iterations} iterations",
            )
        console.print(
            f"[dim]{len(functions)} function(s) × {len(optimizers)} optimizer(s) "
            f"in {elapsed:.1f} s[/dim]"
        )
    if plots is not None:
        from shared.landscapes.figures import write_figures

        points = {key: point for key, (_, point) in planned.items()}
        for path in write_figures(study, plots, points):
            Console(stderr=True).print(f"wrote {path}")
