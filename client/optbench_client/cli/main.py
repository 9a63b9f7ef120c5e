"""Entry point: ``optbench COMMAND``.

The remote commands (they only talk to a server's API) are here, in optbench-client.
The commands that run the server's own code (``serve``, ``landscape``, ``db``…) are
added by the optbench package, through the ``optbench.commands`` entry point; without it
each of them says in one line what to install."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points

import typer

from optbench_client.cli import experiments, report
from optbench_client.cli.export import export
from optbench_client.cli.models import models_app
from optbench_client.cli.plan import plan
from optbench_client.cli.queue import queue_app
from optbench_client.cli.tokens import token_app
from optbench_client.cli.tune import tune
from optbench_client.errors import VersionMismatchWarning

#: Commands of the optbench package (the server), and what each one is for.
SERVER_COMMANDS = {
    "serve": "runs the platform",
    "landscape": "runs the synthetic study on this machine",
    "db": "migrates the server's database",
    "data": "checks a data root",
    "worker": "runs a worker",
    "workers": "runs workers",
    "optimizers": "lists and checks this installation's optimizers",
    "tasks": "lists and checks this installation's tasks",
}

Extension = Callable[[typer.Typer], None]


def remote_app() -> typer.Typer:
    app = typer.Typer(
        name="optbench",
        help="Benchmark stochastic optimizers as populations, not single models.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.command("submit")(experiments.submit)
    app.command("status")(experiments.status)
    app.command("list")(experiments.list_)
    app.command("cancel")(experiments.cancel)
    app.command("delete")(experiments.delete)
    app.command("results")(experiments.results)
    app.command("report")(report.report)
    app.command("plan")(plan)
    app.command("tune")(tune)
    app.command("export")(export)
    app.add_typer(token_app, name="token")
    app.add_typer(models_app, name="models")
    app.add_typer(queue_app, name="queue")

    @app.callback()
    def main() -> None:
        """optbench: stationary distributions, populations and optimizer comparisons."""

    return app


def installed_extensions() -> list[Extension]:
    """What installed packages add to the command (the optbench package: its server
    commands)."""
    return [entry.load() for entry in entry_points(group="optbench.commands")]


def build_app(extensions: Iterable[Extension] | None = None) -> typer.Typer:
    """The command: remote commands, then the extensions' (by default, the installed
    ones); a server command no extension added says what to install."""
    app = remote_app()
    for extend in installed_extensions() if extensions is None else extensions:
        extend(app)
    present = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    for name, what in SERVER_COMMANDS.items():
        if name not in present:
            app.command(
                name,
                hidden=True,
                context_settings={
                    "allow_extra_args": True,
                    "ignore_unknown_options": True,
                    "help_option_names": [],
                },
            )(missing_server(name, what))
    return app


def missing_server(name: str, what: str) -> Callable[..., None]:
    def command(ctx: typer.Context) -> None:
        typer.echo(
            f"error: `optbench {name}` {what} and needs the optbench package, which is not "
            "installed here (optbench-client has the remote commands only): pip install optbench",
            err=True,
        )
        raise typer.Exit(2)

    return command


def one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:  # type: ignore[no-untyped-def]
    """The client's warnings (another major version of the server) as one line."""
    if issubclass(category, VersionMismatchWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        _show(message, category, filename, lineno, file, line)


_show = warnings.showwarning


def run() -> None:
    """The ``optbench`` command."""
    warnings.showwarning = one_line_warning
    build_app()()


if __name__ == "__main__":
    run()
