"""``optbench landscape``: the stationary-distribution study on synthetic functions."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.tables import render_distribution
from shared.landscapes.functions import PAPER_FUNCTIONS, UnknownLandscapeError
from shared.landscapes.study import (
    ALL_OPTIMIZERS,
    DEFAULT_CAPTURE_RADIUS,
    DEFAULT_ITERATIONS,
    DEFAULT_RESTARTS,
    StationaryDistribution,
    StudyError,
    landscape_study,
)
from shared.optim.declarations import OPTIMIZER_NAMES, UnknownOptimizerError
from shared.optim.hyperparameters import HyperparameterError


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


def distribution_entry(results: dict[str, StationaryDistribution]) -> dict[str, Any]:
    """One function's results in the API's distribution shape (see cli.tables)."""
    first = next(iter(results.values()))
    optimizers = []
    for name, result in results.items():
        intervals = result.intervals()
        optimizers.append(
            {
                "optimizer": name,
                "counts": result.counts,
                "fractions": {k: i.fraction for k, i in intervals.items()},
                "intervals": {k: [i.low, i.high] for k, i in intervals.items()},
            }
        )
    tests = [
        {"a": name, "b": other, "pvalue": r.compare(results[other]).pvalue}
        for name, r in results.items()
        for other in results
        if other != name
    ]
    return {
        "function": first.function,
        "minima": [m.as_dict() for m in first.minima],
        "optimizers": optimizers,
        "tests": tests,
    }


def study_json(
    study: dict[str, dict[str, StationaryDistribution]], settings: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {"settings": settings, "functions": {}}
    for function, results in study.items():
        reference = next(iter(results))
        first = results[reference]
        out["functions"][function] = {
            "minima": [m.as_dict() for m in first.minima],
            "optimizers": {name: r.as_dict() for name, r in results.items()},
            "tests": {
                f"{name}_vs_{reference}": {
                    **vars(r.compare(first)),
                    "agreement": r.agreement(first),
                }
                for name, r in results.items()
                if name != reference
            },
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
    capture_radius: Annotated[
        float, typer.Option(help="An end point belongs to a minimum within this distance.")
    ] = DEFAULT_CAPTURE_RADIUS,
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
        study = landscape_study(
            functions,
            optimizers,
            restarts=restarts,
            iterations=iterations,
            overrides=parse_overrides(set_ or []),
            capture_radius=capture_radius,
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
            "seconds": elapsed,
        }
        json.dump(study_json(study, settings), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        # Wide enough for six basins when piped (Rich assumes 80 columns off a terminal).
        console = Console(width=None if sys.stdout.isatty() else 160)
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

        for path in write_figures(study, plots):
            Console(stderr=True).print(f"wrote {path}")
