"""Entry point: ``optbench COMMAND``."""

from __future__ import annotations

import typer

from cli.landscape import landscape_command

app = typer.Typer(
    name="optbench",
    help="Benchmark stochastic optimizers as populations, not single models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("landscape")(landscape_command)


@app.callback()
def main() -> None:
    """optbench: stationary distributions, populations and optimizer comparisons."""


if __name__ == "__main__":
    app()
