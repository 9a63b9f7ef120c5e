"""``optbench token``: API tokens, created and revoked through the API by an admin."""

from __future__ import annotations

from typing import Annotated

import typer

from optbench_client.cli.experiments import Token, Url, call_api, make_client

token_app = typer.Typer(help="API tokens (an admin's token is needed).", no_args_is_help=True)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="the user the token is for")],
    admin: Annotated[bool, typer.Option("--admin", help="give the user the admin role")] = False,
    label: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    url: Url = None,
    token: Token = None,
) -> None:
    """Print a new token for user NAME (created if missing); it is shown only once."""
    typer.echo(call_api(make_client(url, token).create_token, name, admin=admin, label=label))


@token_app.command("revoke")
def token_revoke(
    value: Annotated[
        str | None, typer.Argument(metavar="TOKEN", help="the token to revoke")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="revoke every token of USER")] = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Revoke a token, or all tokens of a user; requests with them get 401 from now on."""
    if (value is None) == (user is None):
        typer.echo("error: give either a TOKEN or --user NAME", err=True)
        raise typer.Exit(2)
    count = call_api(make_client(url, token).revoke_tokens, token=value, user=user)
    typer.echo(f"revoked {count} token(s)")
