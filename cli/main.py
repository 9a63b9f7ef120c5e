"""Entry point: ``optbench COMMAND``."""

from __future__ import annotations

import typer

from cli import experiments, report
from cli.data import data_app
from cli.landscape import landscape_command
from cli.models import models_app
from cli.optimizers import optimizers_app
from cli.plan import plan
from cli.queue import queue_app
from cli.server import db_app, serve, token_app
from cli.tasks import tasks_app
from cli.tune import tune
from cli.worker import worker

app = typer.Typer(
    name="optbench",
    help="Benchmark stochastic optimizers as populations, not single models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("landscape")(landscape_command)
app.command("serve")(serve)
app.command("submit")(experiments.submit)
app.command("status")(experiments.status)
app.command("list")(experiments.list_)
app.command("cancel")(experiments.cancel)
app.command("delete")(experiments.delete)
app.command("results")(experiments.results)
app.command("report")(report.report)
app.command("plan")(plan)
app.command("tune")(tune)
app.command("worker")(worker)
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
app.add_typer(models_app, name="models")
app.add_typer(data_app, name="data")
app.add_typer(optimizers_app, name="optimizers")
app.add_typer(tasks_app, name="tasks")
app.add_typer(queue_app, name="queue")


@app.callback()
def main() -> None:
    """optbench: stationary distributions, populations and optimizer comparisons."""


if __name__ == "__main__":
    app()
