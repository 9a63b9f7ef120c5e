"""``optbench data check``: what the data root holds for each task, and what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from optbench_client.cli.tables import terminal
from shared.config import get_settings
from shared.tasks.admission import data_root
from shared.tasks.data_root import DataRoot
from shared.tasks.inventory import DataRootReport, check_data_root
from shared.tasks.layouts import LAYOUTS

data_app = typer.Typer(
    help="The data root (OPTBENCH_DATA_DIR): datasets by task name, models under models/.",
    no_args_is_help=True,
)

STATUS_STYLE = {"ready": "green", "incomplete": "yellow", "missing": "red"}


def render(report: DataRootReport, console: Console) -> None:
    console.print(f"data root: {report.root}" + ("" if report.exists else " (does not exist)"))
    table = Table(show_lines=True)
    for header in ("task", "directory", "status", "required files", "missing"):
        table.add_column(header, overflow="fold")
    for check in report.datasets:
        missing = ", ".join(check.missing)
        if check.missing_optional:
            optional = ", ".join(check.missing_optional)
            missing = f"{missing}\n(optional: {optional})" if missing else f"(optional: {optional})"
        directory = check.directory + "/"
        if check.data_dir:
            directory += f"\n(data_dir: {check.data_dir})"
        if check.note:
            directory += f"\n{check.note}"
        style = STATUS_STYLE[check.status]
        table.add_row(
            check.task,
            directory,
            f"[{style}]{check.status}[/{style}]",
            f"{check.found} of {check.required}",
            missing or "—",
        )
    console.print(table)
    not_ready = {c.task: c for c in report.datasets if c.status != "ready"}
    for task, check in not_ready.items():
        console.print(f"[bold]{task}[/bold] expects in {check.directory}/: {check.expected}")
    if report.models:
        models = Table()
        for header in ("model (task_options.model)", "status", "missing"):
            models.add_column(header, overflow="fold")
        for model in report.models:
            style = STATUS_STYLE[model.status]
            models.add_row(
                model.name, f"[{style}]{model.status}[/{style}]", ", ".join(model.missing) or "—"
            )
        console.print(models)
    else:
        console.print("no models under models/")
    console.print(f"a model is {report.model_format}")


@data_app.command("check")
def check(
    task: Annotated[
        list[str] | None,
        typer.Option(
            "--task",
            help=f"only these tasks (repeatable): {', '.join(LAYOUTS)}; exit 1 "
            "unless all are ready",
        ),
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option("--data-dir", help="the data root to check; default: OPTBENCH_DATA_DIR"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Per task: the directory it reads, the files found there and those missing, and the
    expected format; then the model directories under models/."""
    unknown = [t for t in task or [] if t not in LAYOUTS]
    if unknown:
        typer.echo(
            f"error: --task: {unknown[0]!r} reads no files; tasks with datasets: "
            f"{', '.join(LAYOUTS)}",
            err=True,
        )
        raise typer.Exit(2)
    report = check_data_root(
        DataRoot(root) if root is not None else data_root(get_settings()), task or None
    )
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        render(report, terminal())
    if task and any(c.status != "ready" for c in report.datasets if c.task in task):
        raise typer.Exit(1)
