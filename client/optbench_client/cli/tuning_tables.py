"""A study on the terminal: the per-optimizer budget table and the best configurations."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from optbench_client.cli.tables import terminal


def _value(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def render_tuning(study: dict[str, Any], console: Console | None = None) -> None:
    console = console or terminal()
    title = (
        f"study {study['experiment']}: {study['budget']} per optimizer "
        f"({'equal' if study['equal_budgets'] else 'UNEQUAL'}), {study['objective']} on the "
        f"validation split ({study['direction']} is better), pruner {study['pruner']}"
    )
    table = Table(title=title)
    headers = ["optimizer", "used / granted", "complete", "pruned", "failed", "running"]
    for index, header in enumerate([*headers, "grad. evals", "best"]):
        table.add_column(header, overflow="fold", no_wrap=index > 1)
    units = sorted({row["unit"].replace("_", " ") for row in study["budgets"]})
    if units:
        table.caption, table.caption_justify = f"budgets in {' / '.join(units)}", "left"
    for row in study["budgets"]:
        table.add_row(
            row["optimizer"],
            f"{row['used']:,} / {row['granted']:,}",
            str(row["complete"]),
            str(row["pruned"]),
            str(row["failed"]),
            str(row["running"]),
            f"{row['gradient_evaluations']:,}",
            _value(row["best_value"]),
        )
    console.print(table)
    for row in study["budgets"]:
        if row["best_hyperparameters"] is not None:
            saved = row["tuned_configuration"]
            where = f", saved as tuned: {saved}" if saved else ""
            console.print(
                f"{row['optimizer']} (trial {row['best_trial']}{where}): "
                f"{json.dumps(row['best_hyperparameters'])}",
                soft_wrap=True,  # one line, to copy
            )
    if study["error"]:
        console.print(f"[red]{study['error']}[/red]")
