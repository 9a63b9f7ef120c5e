"""``optbench report ID``: the paper's tables and figures for a training experiment."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer

from optbench_client.cli.experiments import Token, Url, call_api, make_client
from optbench_client.cli.flat import pair_table, set_table
from optbench_client.cli.tables import PAIR_TABLE, SET_TABLE, render_frame, said_once, terminal

Format = Literal["table", "markdown", "latex", "csv"]

SET_COLUMNS = [
    "optimizer",
    "A_median",
    "B_median",
    "A_within_std",
    "B_within_std",
    "mwu_p",
    "mwu_method",
    "student_p",
    "welch_p",
    "a12",
    "cliffs_delta",
    "trajectory_p",
    "trajectory_method",
    "trajectory_p_floor",
    "trajectories_needed",
    "disagree",
    "overlap",
    "A_loss_median",
    "B_loss_median",
    "loss_mwu_p",
    "loss_student_p",
    "loss_welch_p",
    "notes",
]
PAIR_COLUMNS = [
    "optimizer1",
    "optimizer2",
    "mwu_p",
    "mwu_method",
    "mwu_p_holm",
    "student_p_holm",
    "welch_p_holm",
    "a12",
    "cliffs_delta",
    "trajectory_p_holm",
    "trajectory_p_floor",
    "trajectory_method",
    "disagree_holm",
    "notes",
]

SHARPNESS_SET_COLUMNS = [
    "optimizer",
    "A_sharpness_median",
    "B_sharpness_median",
    "sharpness_mwu_p",
    "sharpness_student_p",
    "sharpness_welch_p",
    "sharpness_a12",
    "sharpness_cliffs_delta",
    "sharpness_trajectory_p",
    "sharpness_disagree",
    "sharpness_rho_A",
    "sharpness_rho_A_p",
    "sharpness_rho_B",
    "sharpness_rho_all",
    "sharpness_notes",
]
SHARPNESS_PAIR_COLUMNS = [
    "optimizer1",
    "optimizer2",
    "sharpness_median1",
    "sharpness_median2",
    "sharpness_a12",
    "sharpness_mwu_p_holm",
    "sharpness_trajectory_p_holm",
    "sharpness_rho1",
    "sharpness_rho2",
]

# What the terminal shows of the sharpness tables (every column stays in the files).
SHARPNESS_SET_TABLE = {
    "optimizer": "optimizer",
    "A_sharpness_median": "A sharpness",
    "B_sharpness_median": "B sharpness",
    "sharpness_mwu_p": "MWU p",
    "sharpness_trajectory_p": "traj. p",
    "sharpness_rho_A": "ρ in A",
    "sharpness_rho_all": "ρ all",
}
SHARPNESS_PAIR_TABLE = {
    "optimizer1": "optimizer 1",
    "optimizer2": "optimizer 2",
    "sharpness_median1": "sharpness 1",
    "sharpness_median2": "sharpness 2",
    "sharpness_mwu_p_holm": "MWU p Holm",
    "sharpness_trajectory_p_holm": "traj. p Holm",
}

UNDEFINED = "undefined"
"""Printed where a statistic has no value; the ``notes`` column says why."""


def readable(frame: pd.DataFrame, fmt: Format) -> pd.DataFrame:
    """Missing values as a word (CSV keeps them empty), so no table shows a bare nan."""
    if fmt == "csv":
        return frame
    return frame.astype(object).where(frame.notna(), UNDEFINED)


def findings(sets: pd.DataFrame, pairs: pd.DataFrame) -> list[str]:
    """The sentences a reader must see beside the tables: what was left out of the sets,
    every warning of the set comparisons (overlap, floors, short schedules), and why each
    undefined test is undefined; a sentence several optimizers share is said once, naming
    them."""
    said: dict[str, list[str]] = {}  # optimizer → its sentences, in order

    def say(optimizer: str, sentence: str) -> None:
        said.setdefault(str(optimizer), []).append(sentence)

    for row in sets.itertuples(index=False):
        initial = getattr(row, "initial_models_excluded", None)
        diverged = getattr(row, "diverged_excluded", None)
        if initial is not None:
            say(
                row.optimizer,
                f"left out of both sets: {initial} step-0 models and {diverged} records at or "
                "after a divergence.",
            )
        warnings = getattr(row, "warnings", None) or []
        for warning in warnings:
            say(row.optimizer, warning)
        floor = getattr(row, "trajectory_p_floor", None)
        reachable = not any("trajectory-level test cannot" in w for w in warnings)
        if reachable and floor is not None and floor == floor:  # NaN: undefined, noted
            say(
                row.optimizer,
                f"the trajectory-level test can reach p = {floor:.3g} at best "
                f"(reaching α takes at least {row.trajectories_needed} pairs of trajectories).",
            )
        for prefix, label in (
            ("", "on the metric"),
            ("loss_", "on training loss"),
            ("sharpness_", "on sharpness"),
        ):
            if why := getattr(row, f"{prefix}notes", ""):
                say(row.optimizer, f"Set A vs Set B {label}: {why}")
        if why := getattr(row, "sharpness_rho_notes", ""):
            say(row.optimizer, f"sharpness–metric correlation: {why}")
    lines = said_once(said)
    lines += list(pairs.attrs.get("warnings", []))
    for row in pairs.itertuples(index=False):
        if why := getattr(row, "notes", ""):
            lines.append(f"{row.optimizer1} vs {row.optimizer2}: {why}")
    return lines


def render(
    frame: pd.DataFrame, fmt: Format, title: str, shown: dict[str, str] | None = None
) -> str | None:
    if fmt == "markdown":
        return f"### {title}\n\n" + frame.to_markdown(index=False, floatfmt=".4g") + "\n"
    if fmt == "latex":
        return frame.to_latex(index=False, float_format="%.4g", caption=title, escape=True)
    if fmt == "csv":
        return frame.to_csv(index=False)
    # The terminal shows the columns a reader decides with; the files keep them all.
    columns = shown or (SET_TABLE if "A_median" in frame.columns else PAIR_TABLE)
    render_frame(frame, columns, title, terminal(), caption="every column: --format csv")
    return None


def report(
    experiment_id: int,
    per_trajectory: Annotated[
        int | None, typer.Option("--L", help="models per trajectory (default: the spec's)")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(help="a metric the task reports (optbench tasks list; default: its first)"),
    ] = None,
    which: Annotated[str, typer.Option("--set", help="A or B, for optimizer pairs")] = "A",
    fmt: Annotated[str, typer.Option("--format", help="table, markdown, latex or csv")] = "table",
    out: Annotated[Path | None, typer.Option(help="write tables and PNG figures here")] = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Set A vs Set B p-values (both tests) and summaries, the training-loss comparison,
    optimizer-pair p-values (Holm), and with --out the learning curves and population
    plots as PNG."""
    if fmt not in ("table", "markdown", "latex", "csv"):
        typer.echo("error: --format: expected table, markdown, latex or csv", err=True)
        raise typer.Exit(2)
    if fmt == "markdown" or (out is not None and fmt == "table"):
        needs("tabulate", "cli", "Markdown tables")
    if fmt == "latex":
        needs("jinja2", "cli", "--format latex")
    if out is not None:
        needs("matplotlib", "figures", "--out (its PNG figures)")
    client = make_client(url, token)
    params = {k: v for k, v in {"L": per_trajectory, "metric": metric}.items() if v is not None}
    sets = set_table(call_api(client.set_comparison, experiment_id, **params))
    pairs = pair_table(call_api(client.optimizer_comparison, experiment_id, which=which, **params))
    chosen_metric = str(sets["metric"].iloc[0]) if len(sets) else (metric or "metric")
    better = f", {sets['direction'].iloc[0]} is better" if len(sets) else ""
    tables = {
        "set_a_vs_set_b": (
            sets[[c for c in SET_COLUMNS if c in sets]],
            f"Set A vs Set B on {chosen_metric} and training loss "
            f"(L = {sets['L'].iloc[0] if len(sets) else '?'}{better})",
        ),
        "optimizer_pairs": (
            pairs[[c for c in PAIR_COLUMNS if c in pairs]],
            f"optimizer pairs on Set {which} ({chosen_metric}{better})",
        ),
    }
    terminal_columns = {}
    if "A_sharpness_median" in sets:  # the spec measured sharpness
        tables["set_a_vs_set_b_sharpness"] = (
            sets[[c for c in SHARPNESS_SET_COLUMNS if c in sets]],
            f"Set A vs Set B on sharpness, and its rank correlation with {chosen_metric}",
        )
        terminal_columns["set_a_vs_set_b_sharpness"] = SHARPNESS_SET_TABLE
    if "sharpness_median1" in pairs:
        tables["optimizer_pairs_sharpness"] = (
            pairs[[c for c in SHARPNESS_PAIR_COLUMNS if c in pairs]],
            f"optimizer pairs on sharpness over Set {which}",
        )
        terminal_columns["optimizer_pairs_sharpness"] = SHARPNESS_PAIR_TABLE
    suffix = {"markdown": "md", "latex": "tex", "csv": "csv", "table": "md"}[fmt]
    lines = findings(sets, pairs)
    for name, (frame, title) in tables.items():
        shown = fmt if not (out and fmt == "table") else "markdown"
        text = render(readable(frame, shown), shown, title, terminal_columns.get(name))  # type: ignore[arg-type]
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{name}.{suffix}").write_text(text or "")
        elif text is not None:
            sys.stdout.write(text + "\n")
    if lines and fmt != "csv":
        notes = "\n".join(f"- {line}" for line in lines) + "\n"
        if out is not None:
            (out / "notes.md").write_text("### Notes\n\n" + notes)
        else:
            sys.stdout.write("Notes:\n" + notes)
    if out is not None:
        figures = needs("matplotlib", "figures", "--out (its PNG figures)")
        curves = call_api(
            client.learning_curves_frame, experiment_id, column=chosen_metric, window=3
        )
        figures.learning_curves_figure(curves, chosen_metric, out / "learning_curves.png")
        sets = [
            call_api(client.populations_frame, experiment_id, which=w, **params) for w in ("A", "B")
        ]  # which set a frame is rides in its attrs, as the answer's `set` field
        both = pd.concat(
            [frame.assign(set=frame.attrs["set"]) for frame in sets], ignore_index=True
        ).rename(columns={"value": chosen_metric})
        figures.populations_figure(both, chosen_metric, out / "populations.png")
        optimizers = call_api(client.experiment, experiment_id)["spec"]["optimizers"]
        if any(o.get("sweep_of") for o in optimizers):
            sweep_png(client, experiment_id, params, chosen_metric, out)
        typer.echo(f"wrote tables and figures to {out}", err=True)


def sweep_png(client, experiment_id: int, params: dict, metric: str, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Each sweep's Set A median by swept value (drawn by the server package's figure)."""
    try:
        from shared.landscapes.figures import sweep_figure
    except ImportError:
        typer.echo("sweep.png: skipped, it needs the optbench package (pip install optbench)")
        return
    swept = call_api(client.sweep, experiment_id, **params)
    sweep_figure(
        swept["sweeps"],
        lambda p: (
            {"Set A median": (p["median"], *p["interval"])}
            if p.get("median") is not None and None not in p.get("interval", [None])
            else {}
        ),
        out / "sweep.png",
        title=f"Set A median {metric} by swept value (L = {swept['L']})",
        ylabel=f"{metric} ({swept['confidence']:.0%} CI, whole trajectories)",
    )


def needs(module: str, extra: str, what: str):  # type: ignore[no-untyped-def]
    """``module`` imported, or one line saying which extra of optbench-client brings it."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        typer.echo(
            f"error: {what} needs {module}: pip install 'optbench-client[{extra}]'", err=True
        )
        raise typer.Exit(2) from None
    if module == "matplotlib":
        from optbench_client.cli import figures

        return figures
    return None
