"""``optbench models``: list an experiment's kept models and download them (safetensors)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from optbench_client.cli.experiments import Token, Url, call_api, make_client
from optbench_client.cli.tables import terminal
from optbench_client.client import Client

models_app = typer.Typer(
    help="Kept model weights: list them, download them as safetensors.",
    no_args_is_help=True,
)


#: The task's metrics are the kept-model columns under ``metrics.``.
METRIC_PREFIX = "metrics."


def _number(value: object) -> str:
    return "" if value is None or value != value else f"{value:.4f}"  # NaN != NaN


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@models_app.command("list")
def list_models(
    experiment: Annotated[int, typer.Argument(help="experiment id")],
    url: Url = None,
    token: Token = None,
) -> None:
    """A table of the experiment's kept models (optimizer, trajectory, step, losses, size)."""
    client = make_client(url, token)
    frame = call_api(client.models, experiment)
    table = Table(title=f"experiment {experiment}: {len(frame)} kept models")
    metrics = [c for c in frame.columns if c.startswith(METRIC_PREFIX)]
    for column in ("optimizer", "trajectory", "step", "train_loss", *metrics, "MB"):
        header = column.removeprefix(METRIC_PREFIX)
        first = column == "optimizer"
        table.add_column(
            header, justify="left" if first else "right", overflow="fold", no_wrap=not first
        )
    for row in frame.to_dict("records"):
        table.add_row(
            row["optimizer"],
            str(row["trajectory"]),
            str(row["step"]),
            *(_number(row[c]) for c in ("train_loss", *metrics)),
            f"{row['size'] / 1e6:.1f}",
        )
    terminal().print(table)


@models_app.command("download")
def download(
    experiment: Annotated[int, typer.Argument(help="experiment id")],
    out: Annotated[Path, typer.Option("--out", help="directory to write the files to")],
    optimizer: Annotated[
        str | None, typer.Option("--optimizer", help="configuration key (all if omitted)")
    ] = None,
    trajectory: Annotated[int | None, typer.Option("--trajectory", min=0)] = None,
    step: Annotated[int | None, typer.Option("--step", min=0)] = None,
    population: Annotated[
        str | None,
        typer.Option(
            "--set", help="A or B: the models of Set A or Set B at the spec's L (default: all)"
        ),
    ] = None,
    L: Annotated[int | None, typer.Option("--L", min=1, help="with --set: another L")] = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Download kept models as safetensors files into --out: one (--optimizer,
    --trajectory and --step), a selection (any of them), or a whole Set A or B (--set)."""
    if population is not None and population.upper() not in ("A", "B"):
        _fail(f"--set: expected A or B, got {population!r}")
    if population is not None and step is not None:
        _fail("--set and --step: give one or the other")
    client = make_client(url, token)
    if population is not None:
        which: Literal["A", "B"] = "A" if population.upper() == "A" else "B"
        wanted = _population(client, experiment, which, L)
    else:
        frame = call_api(client.models, experiment)
        wanted = [(r.optimizer, int(r.trajectory), int(r.step)) for r in frame.itertuples()]
    wanted = [
        (o, t, s)
        for o, t, s in wanted
        if (optimizer is None or o == optimizer)
        and (trajectory is None or t == trajectory)
        and (step is None or s == step)
    ]
    if not wanted:
        _fail(f"experiment {experiment}: no kept model matches the selection")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with Progress(
        TextColumn("[bold]downloading"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("models", total=len(wanted))
        for o, t, s in wanted:
            written.append(call_api(client.save_model, experiment, o, t, s, out))
            bar.advance(task)
    for path in written:
        typer.echo(str(path))


def _population(
    client: Client, experiment: int, which: Literal["A", "B"], L: int | None
) -> list[tuple[str, int, int]]:
    """(optimizer, trajectory, step) of every member of Set A or B (at L, or the spec's)."""
    params = {"which": which, **({"L": L} if L is not None else {})}
    frame = call_api(client.populations_frame, experiment, **params)
    return [(r.optimizer, int(r.trajectory), int(r.step)) for r in frame.itertuples()]
