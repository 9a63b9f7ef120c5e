"""``optbench plan EXPERIMENT``: how many trajectories a comparison needs, with a finished
(pilot) experiment's between-trajectory variance."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from optbench_client.cli.experiments import Token, Url, call_api, make_client
from optbench_client.cli.tables import terminal

#: Header and justification; the first column wraps, numbers never do; "why not" points
#: to a note under the table.
COLUMNS = [
    ("comparison", "left"),
    ("pilot Tr", "right"),
    ("difference", "right"),
    ("between-traj. std", "right"),
    ("needed", "right"),
    ("power", "right"),
    ("why not", "right"),
]


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def plan_rows(answer: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per planned comparison: Set A vs Set B per optimizer, then pairs."""
    rows = []
    entries = [
        (f"{name}: Set A vs B (paired)", plan) for name, plan in answer["set_comparisons"].items()
    ] + [
        (f"{p['optimizer1']} vs {p['optimizer2']} on Set {answer['set']}", p["plan"])
        for p in answer["optimizer_pairs"]
    ]
    for label, plan in entries:
        spread = [plan["between_std1"]]
        if not plan["paired"]:
            spread.append(plan["between_std2"])
        needed = plan["trajectories"]
        rows.append(
            (
                label,
                str(plan["pilot_trajectories1"]),
                _number(plan["observed_difference"]),
                " / ".join(_number(s, 3) for s in spread),
                "—" if needed is None else str(needed),
                "—" if plan["achieved_power"] is None else f"{plan['achieved_power']:.0%}",
                plan["note"] or "",
            )
        )
    return rows


def plan(
    experiment_id: int,
    alpha: Annotated[float, typer.Option(help="significance level the tests must reach")] = 0.05,
    power: Annotated[float, typer.Option(help="chance of detecting the difference")] = 0.8,
    which: Annotated[str, typer.Option("--set", help="A or B, for optimizer pairs")] = "A",
    per_trajectory: Annotated[
        int | None, typer.Option("--L", help="models per trajectory (default: the spec's)")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(help="a metric the task reports (optbench tasks list; default: its first)"),
    ] = None,
    max_trajectories: Annotated[
        int, typer.Option(help="look no further than this many trajectories per side")
    ] = 100,
    pair: Annotated[
        list[str] | None,
        typer.Option(
            help="give twice (--pair sgd --pair sam): plan only this pair, at --alpha "
            "(default: every pair at the Holm level the comparison reports)"
        ),
    ] = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Trajectories per side that give --power to detect the pilot's observed differences
    with the trajectory-level tests, simulated from the pilot's between-trajectory
    variance: Set A vs Set B at --alpha, optimizer pairs at the Holm level (α/m over the m
    pairs) or one --pair at --alpha; the output says which."""
    if pair is not None and len(pair) != 2:
        typer.echo(f"error: --pair: give it twice, once per optimizer; got {len(pair)}", err=True)
        raise typer.Exit(2)
    params = {
        "alpha": alpha,
        "power": power,
        "which": which,
        "max_trajectories": max_trajectories,
        **{
            k: v
            for k, v in {"L": per_trajectory, "metric": metric, "pair": pair}.items()
            if v is not None
        },
    }
    answer = call_api(make_client(url, token).plan, experiment_id, **params)
    render_plan(answer, experiment_id, terminal())


def render_plan(answer: dict[str, Any], experiment_id: int, console: Console) -> None:
    """The plan as a table that fits 100 columns, then what it assumed, in words."""
    table = Table(
        title=(
            f"Trajectories for {answer['power']:.0%} power at α = {answer['alpha']:g} "
            f"({answer['metric']}, L = {answer['L']}), experiment {experiment_id} as pilot"
        ),
        title_justify="left",
        caption="needed: trajectories per side (pairs of trajectories for Set A vs B)",
        caption_justify="left",
    )
    for index, (name, justify) in enumerate(COLUMNS):
        table.add_column(
            name,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=index > 0,
            overflow="fold",
        )
    notes: dict[str, int] = {}  # a reason several comparisons share is written once
    for *cells, note in plan_rows(answer):
        mark = f"[{notes.setdefault(note, len(notes) + 1)}]" if note else ""
        table.add_row(*cells, mark)
    console.print(table)
    for note, number in notes.items():
        console.print(f"[{number}] {note}", highlight=False)
    console.print(f"Levels: {answer['levels']}.")
    console.print(
        "Simulated: trajectory means drawn from normal distributions with the pilot's means "
        "and spreads, tested as the API tests them. The pilot's difference is taken as the "
        "truth, so read each count as a lower bound."
    )
    if answer.get("note"):
        console.print(answer["note"])
