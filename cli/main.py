"""Entry point: ``optbench COMMAND``, with the server's commands.

The remote commands live in optbench-client (``optbench_client.cli``); this package adds
the ones that run the server's own code, through the ``optbench.commands`` entry point
(:func:`register`). ``python -m cli.main`` runs the whole command from a checkout."""

from __future__ import annotations

import typer

from cli.data import data_app
from cli.landscape import landscape_command
from cli.optimizers import optimizers_app
from cli.server import db_app, serve
from cli.tasks import tasks_app
from cli.worker import worker
from optbench_client.cli.main import build_app, one_line_warning


def register(app: typer.Typer) -> None:
    """Add the server's commands to the ``optbench`` command."""
    app.command("landscape")(landscape_command)
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(db_app, name="db")
    app.add_typer(data_app, name="data")
    app.add_typer(optimizers_app, name="optimizers")
    app.add_typer(tasks_app, name="tasks")


app = build_app([register])

if __name__ == "__main__":
    import warnings

    warnings.showwarning = one_line_warning
    app()
