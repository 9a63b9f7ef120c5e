"""Rich tables for the terminal: stationary distributions, from the API's JSON shape (local
runs are converted to it), so `optbench landscape` and `optbench results` print alike; and
the population comparisons of training experiments, narrowed to fit 100 columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

ELSE = "else"


def _pair(tests: list[dict[str, Any]], a: str, b: str) -> dict[str, Any] | None:
    for t in tests:
        if {t["a"], t["b"]} == {a, b}:
            return t
    return None


def _pair_cell(test: dict[str, Any] | None) -> str:
    """The unpaired p over the paired (Bowker) p, each Holm-adjusted when available."""
    if test is None:
        return "—"
    p = test.get("pvalue_holm", test["pvalue"])
    paired = test.get("paired_pvalue_holm")
    if paired is None and test.get("paired"):
        paired = test["paired"]["pvalue"]
    under = "" if paired is None else f"\n[dim]{paired:.2g}[/dim]"
    return f"{p:.3g}{under}"


def render_distribution(entry: dict[str, Any], console: Console, subtitle: str = "") -> None:
    """Optimizers as rows; minima (global first, flatter first) and ``else`` as columns.

    Each cell is the percentage over its confidence interval (two lines), so six minima
    still fit a 100-column terminal."""
    minima = entry["minima"]
    done = [o for o in entry["optimizers"] if "counts" in o]
    reference = done[0]["optimizer"] if done else None
    table = Table(
        title=f"{entry['function']}{subtitle} (% of restarts, 95% CI)",
        title_justify="left",
        caption="  ".join(
            f"{m['label']} ({m['location'][0]:.3f}, {m['location'][1]:.3f}) "
            f"f={m['value']:.4g} λ={m['eigenvalues'][0]:.3g},{m['eigenvalues'][1]:.3g}"
            for m in minima
        ),
        caption_justify="left",
    )
    table.add_column("optimizer", style="bold", overflow="fold")
    labels = [m["label"] for m in minima] + [ELSE]
    for label in labels:
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column(f"p vs {reference} (paired)", justify="right", overflow="fold")
    for o in entry["optimizers"]:
        if "counts" not in o:
            table.add_row(o["optimizer"], *(["…"] * len(labels)), o.get("status", ""))
            continue
        cells = []
        for label in labels:
            low, high = o["intervals"][label]
            cells.append(
                f"{100 * o['fractions'][label]:.1f}%\n[dim]{100 * low:.0f}–{100 * high:.0f}[/dim]"
            )
        test = (
            None
            if o["optimizer"] == reference
            else _pair(entry["tests"], o["optimizer"], reference)
        )
        table.add_row(o["optimizer"], *cells, _pair_cell(test))
    console.print(table)


# -- population comparisons ---------------------------------------------------------------
# What a reader decides with, in a 100-column terminal; every other column stays in the
# CSV, JSON, Markdown and LaTeX outputs.
SET_TABLE = {
    "optimizer": "optimizer",
    "A_median": "A median",
    "B_median": "B median",
    "mwu_p": "MWU p",
    "trajectory_p": "traj. p",
    "a12": "A12",
    "overlap": "overlap",
}
PAIR_TABLE = {
    "optimizer1": "optimizer 1",
    "optimizer2": "optimizer 2",
    "a12": "A12",
    "mwu_p_holm": "MWU p Holm",
    "trajectory_p_holm": "traj. p Holm",
    "disagree_holm": "disagree (Holm)",
}
TERMINAL_WIDTH = 100


def cell(column: str, value: Any) -> str:
    """One value as a table cell: undefined as —, overlap in percent, numbers in 4
    significant digits."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column == "overlap" and isinstance(value, (int, float)):
        return f"{100 * value:.0f}%"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_frame(
    frame: pd.DataFrame,
    columns: dict[str, str],
    title: str,
    console: Console,
    caption: str | None = None,
) -> None:
    """The ``columns`` of ``frame`` that it has (column → header), one row per row; the
    first column may wrap, numbers never do."""
    shown = [c for c in columns if c in frame.columns]
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for index, column in enumerate(shown):
        table.add_column(
            columns[column],
            justify="left" if index == 0 else "right",
            no_wrap=index > 0,
            overflow="fold",
        )
    for row in frame[shown].itertuples(index=False):
        table.add_row(*(cell(c, v) for c, v in zip(shown, row, strict=True)))
    console.print(table)


def terminal(width: int | None = None) -> Console:
    """A console for tables: the terminal's width, or 100 columns when not a terminal."""
    import sys

    return Console(width=width or (None if sys.stdout.isatty() else TERMINAL_WIDTH))


def said_once(per_optimizer: Mapping[str, Iterable[str]]) -> list[str]:
    """Each distinct warning once, naming every optimizer that has it
    (``"sgd, sam: message"``), in the order the warnings first appear. The API groups
    its own answers' warnings the same way; these are the ones the CLI gathers from
    several answers."""
    holders: dict[str, list[str]] = {}
    for optimizer, messages in per_optimizer.items():
        for message in messages:
            names = holders.setdefault(message, [])
            if str(optimizer) not in names:
                names.append(str(optimizer))
    return [f"{', '.join(names)}: {message}" for message, names in holders.items()]
