"""Rich tables of stationary distributions, from the API's JSON shape (local runs are
converted to it), so `optbench landscape` and `optbench results` print alike."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

ELSE = "else"


def _pvalue(tests: list[dict[str, Any]], a: str, b: str) -> float | None:
    for t in tests:
        if {t["a"], t["b"]} == {a, b}:
            return t["pvalue"]
    return None


def render_distribution(entry: dict[str, Any], console: Console, subtitle: str = "") -> None:
    """Optimizers as rows; minima (global first, flatter first) and ``else`` as columns."""
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
    table.add_column("optimizer", style="bold", no_wrap=True)
    labels = [m["label"] for m in minima] + [ELSE]
    for label in labels:
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column(f"p vs {reference}", justify="right", no_wrap=True)
    for o in entry["optimizers"]:
        if "counts" not in o:
            table.add_row(o["optimizer"], *(["…"] * len(labels)), o.get("status", ""))
            continue
        cells = []
        for label in labels:
            low, high = o["intervals"][label]
            cells.append(
                f"{100 * o['fractions'][label]:.1f}% [dim]{100 * low:.0f}–{100 * high:.0f}[/dim]"
            )
        p = (
            None
            if o["optimizer"] == reference
            else _pvalue(entry["tests"], o["optimizer"], reference)
        )
        table.add_row(o["optimizer"], *cells, "—" if p is None else f"{p:.3g}")
    console.print(table)
