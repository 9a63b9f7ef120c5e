"""``optbench token``: API tokens, created and revoked through the API by an admin, or
with ``--database`` straight in the server's database (on the server's machine, for a
deployment's first admin)."""

from __future__ import annotations

from typing import Annotated

import typer

from optbench_client.cli.experiments import Token, Url, call_api, make_client

token_app = typer.Typer(help="API tokens (an admin's token is needed).", no_args_is_help=True)

Database = Annotated[
    bool,
    typer.Option(
        "--database",
        help="write to the configured database (OPTBENCH_DATABASE_URL) instead of the API: "
        "on the server's machine, for the first admin",
    ),
]


def server_commands():  # type: ignore[no-untyped-def]
    """The server package's token functions, or one line saying it is missing."""
    try:
        from cli import server
    except ImportError:
        typer.echo(
            "error: --database works on the server's machine and needs the optbench package "
            "(pip install optbench); without it, tokens are managed through the API",
            err=True,
        )
        raise typer.Exit(2) from None
    return server


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="the user the token is for")],
    admin: Annotated[bool, typer.Option("--admin", help="give the user the admin role")] = False,
    label: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    database: Database = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Print a new token for user NAME (created if missing); it is shown only once."""
    if database:
        typer.echo(server_commands().create_token_in_database(name, label, admin))
        return
    typer.echo(call_api(make_client(url, token).create_token, name, admin=admin, label=label))


@token_app.command("revoke")
def token_revoke(
    value: Annotated[
        str | None, typer.Argument(metavar="TOKEN", help="the token to revoke")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="revoke every token of USER")] = None,
    database: Database = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Revoke a token, or all tokens of a user; requests with them get 401 from now on."""
    if (value is None) == (user is None):
        typer.echo("error: give either a TOKEN or --user NAME", err=True)
        raise typer.Exit(2)
    if database:
        count = server_commands().revoke_tokens_in_database(value, user)
    else:
        count = call_api(make_client(url, token).revoke_tokens, token=value, user=user)
    typer.echo(f"revoked {count} token(s)")
