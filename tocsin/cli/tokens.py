"""`flask tocsin token ...`: bearer tokens for the HTTP API."""

import click
from flask.cli import with_appcontext

from ..api import tokens
from ..extensions import store


@click.group("token")
def token() -> None:
    """Manage HTTP API tokens."""


@token.command("create")
@click.argument("name")
@with_appcontext
def token_create(name: str) -> None:
    """Create a token and print it; it is shown only this once."""
    try:
        _, secret = tokens.create(store.session, name)
    except tokens.InvalidToken as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(secret)
    click.echo(f"Token {name!r} created. Store it now: it cannot be shown again.", err=True)


@token.command("revoke")
@click.argument("name")
@with_appcontext
def token_revoke(name: str) -> None:
    """Revoke the token called NAME: its requests get 401 from now on."""
    try:
        tokens.revoke(store.session, name)
    except tokens.InvalidToken as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Revoked token {name!r}.")


@token.command("list")
@with_appcontext
def token_list() -> None:
    """List tokens: name, prefix, created, last used, and whether revoked."""
    for t in tokens.all_tokens(store.session):
        used = _when(t.last_used_at) or "never"
        state = f"revoked {_when(t.revoked_at)}" if t.revoked_at else "active"
        click.echo(f"{t.name}\t{t.prefix}…\t{_when(t.created_at)}\t{used}\t{state}")


def _when(moment) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
