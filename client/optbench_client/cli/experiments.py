"""Talking to a running platform: submit, status, list, cancel, delete, results."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from optbench_client.cli.flat import pair_table, set_table
from optbench_client.cli.tables import (
    PAIR_TABLE,
    SET_TABLE,
    render_distribution,
    render_frame,
    said_once,
    terminal,
)
from optbench_client.client import Client
from optbench_client.errors import OptbenchError

Url = Annotated[
    str | None, typer.Option("--url", envvar="OPTBENCH_URL", help="default: http://127.0.0.1:8000")
]
Token = Annotated[
    str | None,
    typer.Option("--token", envvar="OPTBENCH_TOKEN", help="default: the embedded server's token"),
]


def make_client(url: str | None, token: str | None) -> Client:
    """The API client for the command's --url and --token (or their defaults)."""
    return Client(url, token)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def call_api(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Run a client call; API and connection errors become one line, exit status 2.
    Typed answers come back as the API's JSON (dicts and lists)."""
    import httpx

    try:
        return plain(function(*args, **kwargs))
    except OptbenchError as error:
        _fail(str(error))
    except httpx.HTTPError as error:
        _fail(f"cannot reach the server: {error}")
    except (OSError, ValueError) as error:
        _fail(str(error))


def plain(answer):  # type: ignore[no-untyped-def]
    """A generated model as the JSON it was read from (fields the server left out stay
    out); anything else as it is."""
    if isinstance(answer, BaseModel):
        return answer.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(answer, list) and answer and isinstance(answer[0], BaseModel):
        return [plain(item) for item in answer]
    return answer


def watch(client: Client, experiment_id: int) -> dict:
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]experiment {task.fields[id]}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("", total=1.0, id=experiment_id, status="queued")

        def update(state) -> None:  # type: ignore[no-untyped-def]
            bar.update(task, completed=state.progress, status=str(state.status))

        return call_api(client.wait, experiment_id, on_progress=update)


def submit(
    spec: Annotated[
        Path, typer.Argument(help="spec file (YAML or JSON)", exists=True, dir_okay=False)
    ],
    wait: Annotated[bool, typer.Option("--wait", help="watch it until it finishes")] = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Submit an experiment; prints its id."""
    client = make_client(url, token)
    experiment_id = call_api(client.submit, spec)
    typer.echo(experiment_id)
    if wait:
        state = watch(client, experiment_id)
        if state["status"] != "succeeded":
            raise typer.Exit(1)


def status(experiment_id: int, url: Url = None, token: Token = None) -> None:
    """Status, progress and runs of one experiment."""
    client = make_client(url, token)
    state = call_api(client.experiment, experiment_id)
    console = terminal()
    console.print(
        f"[bold]experiment {state['id']}[/bold] {state['name']} ({state['kind']}) — "
        f"{state['status']}, {100 * state['progress']:.0f}% — owner {state['owner']}"
    )
    runs = call_api(client.runs, experiment_id)
    table = Table()
    for header in ("run", "status", "progress", "attempts", "error"):
        table.add_column(header, overflow="fold", no_wrap=header in ("status", "progress"))
    for run in runs.itertuples():
        table.add_row(
            run.key,
            run.status,
            f"{100 * run.progress:.0f}%",
            str(run.attempts),
            run.error.splitlines()[-1] if isinstance(run.error, str) and run.error else "",
        )
    console.print(table)


def list_(
    status_: Annotated[str | None, typer.Option("--status")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="a user name or `me`")] = None,
    limit: int = 50,
    url: Url = None,
    token: Token = None,
) -> None:
    """Experiments, newest first."""
    filters = {
        k: v
        for k, v in {"status": status_, "kind": kind, "owner": owner, "limit": limit}.items()
        if v is not None
    }
    frame = call_api(make_client(url, token).experiments, **filters)
    frame = frame.reindex(columns=LIST_COLUMNS)
    table = Table()
    for column in frame.columns:
        table.add_column(
            "created" if column == "created_at" else column,
            justify="right" if column in ("id", "progress") else "left",
            overflow="fold",
            no_wrap=column in ("id", "kind", "status", "progress"),
        )
    for row in frame.itertuples(index=False):
        table.add_row(
            *(
                f"{100 * v:.0f}%"
                if c == "progress"
                else _minutes(v)
                if c == "created_at"
                else str(v)
                for c, v in zip(frame.columns, row, strict=True)
            )
        )
    terminal().print(table)


def _minutes(timestamp: object) -> str:
    """An API timestamp to the minute, in UTC (``2025-01-31 14:05``)."""
    text = str(timestamp)
    return text[:16].replace("T", " ") if len(text) >= 16 else text


LIST_COLUMNS = ["id", "name", "kind", "status", "progress", "owner", "created_at"]


def cancel(experiment_id: int, url: Url = None, token: Token = None) -> None:
    """Cancel an experiment (yours, or any if you are an admin)."""
    state = call_api(make_client(url, token).cancel, experiment_id)
    typer.echo(f"experiment {experiment_id}: {state['status']}")


def delete(experiment_id: int, url: Url = None, token: Token = None) -> None:
    """Delete an experiment and its results."""
    call_api(make_client(url, token).delete, experiment_id)
    typer.echo(f"experiment {experiment_id} deleted")


def results(
    experiment_id: int,
    capture_radius: Annotated[
        float | None, typer.Option(help="landscape: basin capture radius (default: the spec's)")
    ] = None,
    per_trajectory: Annotated[
        int | None,
        typer.Option("--L", help="training: models per trajectory (default: the spec's)"),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(help="training: a metric the task reports (default: its first)"),
    ] = None,
    which: Annotated[
        str, typer.Option("--set", help="training: A or B, for optimizer pairs")
    ] = "A",
    as_json: Annotated[
        bool, typer.Option("--json", help="print the API's answers as JSON")
    ] = False,
    csv: Annotated[
        Path | None,
        typer.Option(
            help="also write the tables as CSV (training: optimizer pairs to *_pairs.csv)"
        ),
    ] = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Results as tables: a landscape experiment's stationary distribution, or a training
    experiment's Set A vs Set B per optimizer and its optimizer pairs."""
    client = make_client(url, token)
    state = call_api(client.experiment, experiment_id)
    kind = state["kind"]
    if kind == "tuning" or state.get("study_id") is not None:
        from optbench_client.cli.tuning_tables import render_tuning

        study = call_api(client.tuning, experiment_id)
        if as_json and kind == "tuning":
            _print_json(study)
            return
        if not as_json:
            render_tuning(study)
        if kind == "tuning":
            return
    if kind == "landscape":
        if per_trajectory is not None or metric is not None or which != "A":
            _fail("--L, --metric and --set: only for training experiments")
        params: dict = {} if capture_radius is None else {"capture_radius": capture_radius}
        _landscape_results(client, experiment_id, params, as_json, csv)
        return
    if capture_radius is not None:
        _fail("--capture-radius: only for landscape experiments")
    if which not in ("A", "B"):
        _fail("--set: expected A or B")
    params = {k: v for k, v in {"L": per_trajectory, "metric": metric}.items() if v is not None}
    _training_results(client, experiment_id, params, which, as_json, csv)


def _landscape_results(
    client: Client, experiment_id: int, params: dict, as_json: bool, csv: Path | None
) -> None:
    data = call_api(client.distribution, experiment_id, **params)
    if as_json:
        _print_json(data)
    else:
        console = terminal()
        for entry in data["functions"]:
            render_distribution(entry, console)
    if csv is not None:
        call_api(client.distribution_frame, experiment_id, **params).to_csv(csv, index=False)


def _training_results(
    client: Client, experiment_id: int, params: dict, which: str, as_json: bool, csv: Path | None
) -> None:
    set_data = call_api(client.set_comparison, experiment_id, **params)
    pair_data = call_api(client.optimizer_comparison, experiment_id, which=which, **params)
    if as_json:
        _print_json({"set_comparison": set_data, "optimizer_comparison": pair_data})
    if as_json and csv is None:
        return
    sets, pairs = set_table(set_data), pair_table(pair_data)
    if not as_json:
        metric = str(sets["metric"].iloc[0]) if len(sets) else params.get("metric", "metric")
        L = sets["L"].iloc[0] if len(sets) else params.get("L", "?")
        better = f", {sets['direction'].iloc[0]} is better" if len(sets) else ""
        console = terminal()
        render_frame(sets, SET_TABLE, f"Set A vs Set B on {metric} (L = {L}{better})", console)
        render_frame(
            pairs, PAIR_TABLE, f"optimizer pairs on Set {which} ({metric}{better})", console
        )
        warned = sets if "warnings" in sets else sets.assign(warnings=[[]] * len(sets))
        # a warning several optimizers share, once
        said = said_once(dict(zip(warned["optimizer"], warned["warnings"], strict=True)))
        for line in said + list(pairs.attrs.get("warnings", [])):
            console.print(f"[yellow]warning[/yellow]: {line}")
        console.print("[dim]every column: --csv or --json[/dim]")
    if csv is not None:
        pairs_csv = csv.with_name(f"{csv.stem}_pairs{csv.suffix or '.csv'}")
        sets.to_csv(csv, index=False)
        pairs.to_csv(pairs_csv, index=False)
        typer.echo(f"wrote {csv} and {pairs_csv}", err=True)


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")
