"""``optbench tasks``: the tasks this environment can run (built in and plugins), and a
check that a task behaves as the population protocol needs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from optbench_client.cli.tables import terminal

tasks_app = typer.Typer(
    help="Training tasks: built in, or contributed by installed packages (optbench.tasks).",
    no_args_is_help=True,
)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@tasks_app.command("list")
def list_tasks(
    as_json: Annotated[bool, typer.Option("--json", help="the catalog as JSON")] = False,
) -> None:
    """Every task with its origin (built in, or package and version), metrics with their
    direction, and options; plugins that cannot be used, with the reason. (The same
    catalog a server in this environment answers at GET /api/v1/tasks.)"""
    from shared.registry import RegistryConfigError
    from shared.tasks.catalog import catalog

    try:
        listed = catalog()
    except RegistryConfigError as error:
        _fail(str(error))
    if as_json:
        typer.echo(json.dumps([t.model_dump(mode="json") for t in listed], indent=2))
        return
    table = Table(
        show_lines=True, caption="↑ higher is better, ↓ lower is better", caption_justify="left"
    )
    for header in ("task", "origin", "metrics (first: default)", "options"):
        table.add_column(header, overflow="fold")
    for task in listed:
        if not task.available:
            table.add_row(task.name, task.origin.text, f"[red]unavailable[/red]: {task.reason}", "")
            continue
        metrics = "\n".join(
            f"{m.name} {'↑' if m.direction == 'higher' else '↓'}" for m in task.metrics
        )
        options = "\n".join(f"{o.name}={o.default!r}" for o in task.options)
        table.add_row(f"{task.name}\n{task.description}", task.origin.text, metrics, options)
    terminal().print(table)


@tasks_app.command("check")
def check(
    name: Annotated[str, typer.Argument(help="a task name (optbench tasks list)")],
    option: Annotated[
        list[str] | None,
        typer.Option("--option", help="NAME=VALUE over the task's smallest-size options"),
    ] = None,
) -> None:
    """Build the task at its smallest size and verify that its data and seeded data
    order, its initial weights and its evaluation are reproducible, and that it reports
    every metric it declares. Exit status 1 if a check fails."""
    from shared.tasks.check import check_task
    from shared.tasks.declarations import UnknownTaskError
    from shared.tasks.options import TaskOptionError

    options = {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"--option: expected NAME=VALUE, got {item!r}")
        options[key] = value
    try:
        results = check_task(name, options)
    except (UnknownTaskError, TaskOptionError, ValueError) as error:
        _fail(str(error).strip("'\""))
    console = terminal()
    table = Table(title=f"optbench tasks check {name}")
    for header in ("check", "result", "detail"):
        table.add_column(header, overflow="fold")
    for result in results:
        verdict = "[green]passed[/green]" if result.passed else "[red]failed[/red]"
        table.add_row(result.check, verdict, result.detail)
    console.print(table)
    if not all(r.passed for r in results):
        raise typer.Exit(1)
