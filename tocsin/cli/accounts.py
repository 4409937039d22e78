"""`flask tocsin user ...`: the standalone app's own users."""

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from .. import users
from ..extensions import store
from ..models import User


@click.group("user")
def user() -> None:
    """Manage users."""


@user.command("create")
@click.argument("name")
@with_appcontext
def user_create(name: str) -> None:
    """Create a user; the password comes from stdin or a prompt."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        users.check_password(password)  # NIST SP 800-63B: at least 8 characters
        created = users.create(store.session, name, password)
    except users.InvalidUser as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Created user {created.username} (id {created.id}).")


@user.command("list")
@with_appcontext
def user_list() -> None:
    """List users: id and name, one per line."""
    for u in store.session.scalars(sa.select(User).order_by(User.id)):
        click.echo(f"{u.id}\t{u.username}")
