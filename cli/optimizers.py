"""``optbench optimizers list`` and ``optbench optimizers check NAME``: the optimizers
this installation has (built in, installed packages, OPTBENCH_OPTIMIZERS) and whether
one of them is fit to run on the lab's workers."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shared.config import get_settings

optimizers_app = typer.Typer(
    help="Optimizers: built in, from installed packages (entry points optbench.optimizers) "
    "and from the server setting OPTBENCH_OPTIMIZERS.",
    no_args_is_help=True,
)


def _hyperparameters(entry: dict[str, Any]) -> str:
    return ", ".join(f"{h['name']}={h['default']}" for h in entry["hyperparameters"]) or "—"


@optimizers_app.command("list")
def list_optimizers(
    as_json: Annotated[bool, typer.Option("--json", help="the catalog as JSON")] = False,
) -> None:
    """Every optimizer with its origin, hyperparameters and how landscapes run it
    (what this machine's API and workers discover at start-up)."""
    from shared.optim.declarations import catalog
    from shared.optim.plugins import discover

    settings = get_settings()
    registry = discover(None, settings.optimizers)  # described afresh: no cache file
    entries = catalog()
    if as_json:
        typer.echo(json.dumps(entries, indent=2))
        return
    console = Console(width=100)
    table = Table(show_lines=True)
    for header, width in (
        ("name", 14),
        ("origin", 22),
        ("landscapes", 11),
        ("hyperparameters", 40),
    ):
        table.add_column(header, overflow="fold", max_width=width)
    for entry in entries:
        if not entry["available"]:
            table.add_row(
                f"[red]{entry['name']}[/red]",
                entry["origin"]["text"],
                "—",
                f"[red]unavailable: {entry['reason']}[/red]",
            )
            continue
        wraps = " (takes a base)" if entry["wrapper"] else ""
        table.add_row(
            entry["name"] + wraps,
            entry["origin"]["text"],
            entry["coupling"] or "no",
            _hyperparameters(entry),
        )
    console.print(table)
    for line in registry.refusals:
        console.print(f"[red]refused:[/red] {line}")


@optimizers_app.command("check")
def check(
    name: Annotated[str, typer.Argument(help="the optimizer, e.g. lion or sam(lion)")],
    hyperparameter: Annotated[
        list[str] | None,
        typer.Option("--set", help="a hyperparameter NAME=VALUE (JSON value), repeatable"),
    ] = None,
    seconds: Annotated[float, typer.Option(min=1, help="limit per property")] = 60.0,
) -> None:
    """Try the properties a run relies on (determinism, exact resume, the global RNG,
    evaluation counts, finite steps); exit 1 if any fails."""
    from shared.optim.conformance import ConformanceCheck
    from shared.optim.declarations import UnknownOptimizerError
    from shared.optim.hyperparameters import HyperparameterError
    from shared.optim.plugins import discover

    discover(None, get_settings().optimizers)
    values: dict[str, Any] = {}
    for item in hyperparameter or []:
        key, sep, text = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        try:
            values[key] = json.loads(text)
        except ValueError:
            values[key] = text
    console = Console(width=100)
    try:
        checker = ConformanceCheck(name, values)
    except (UnknownOptimizerError, HyperparameterError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    console.print(f"{name}: {checker.declared.origin}")
    results = checker.run(seconds_per_property=seconds)
    for result in results:
        mark = "[green]✓[/green]" if result.passed else "[red]✗[/red]"
        console.print(f"{mark} {result.name}: {result.detail}")
    failed = [r for r in results if not r.passed]
    if failed:
        console.print(f"[red]{len(failed)} of {len(results)} properties fail[/red]")
        raise typer.Exit(1)
    console.print(f"all {len(results)} properties hold")
