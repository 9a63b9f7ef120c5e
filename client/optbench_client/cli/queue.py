"""``optbench queue``: who waits for the workers, and (admins) shares and priorities."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from optbench_client.cli.experiments import Token, Url, call_api, make_client

queue_app = typer.Typer(
    help="The queue: runs go to the workers by fair share among members.",
    invoke_without_command=True,
)


@queue_app.callback()
def show(ctx: typer.Context, url: Url = None, token: Token = None) -> None:
    """Per member, the runs running and queued, and each experiment's position (1: its
    next run is the next one sent to the workers; `sent`: all its queued runs are)."""
    if ctx.invoked_subcommand is not None:
        return
    queue = call_api(make_client(url, token).queue)
    if not queue["members"]:
        typer.echo("nothing is queued or running")
        return
    table = Table("position", "experiment", "member", "kind", "priority", "running", "queued")
    for member in queue["members"]:
        for e in member["experiments"]:
            table.add_row(
                "sent" if e["position"] is None else str(e["position"]),
                f"{e['id']} {e['name']}".strip(),
                f"{member['member']} (share {member['share']:g})",
                e["kind"],
                str(e["priority"]),
                str(e["running"]),
                f"{e['queued']} ({e['sent']} sent)",
            )
    Console().print(table)
    typer.echo(f"the broker holds at most {queue['window']} runs per queue ahead of the workers")


@queue_app.command("share")
def share(
    member: Annotated[str, typer.Argument(help="a user name")],
    value: Annotated[float, typer.Argument(help="the member's weight (default 1)")],
    url: Url = None,
    token: Token = None,
) -> None:
    """Set a member's share of the workers (admins only)."""
    answer = call_api(make_client(url, token).set_share, member, value)
    typer.echo(f"{answer['member']}: share {answer['share']:g}")


@queue_app.command("priority")
def priority(
    experiment_id: Annotated[int, typer.Argument(help="an experiment id")],
    value: Annotated[int, typer.Argument(help="higher goes first among its owner's (default 0)")],
    url: Url = None,
    token: Token = None,
) -> None:
    """Set an experiment's priority among its owner's experiments (admins only)."""
    answer = call_api(make_client(url, token).set_priority, experiment_id, value)
    typer.echo(f"experiment {answer['id']}: priority {answer['priority']}")
