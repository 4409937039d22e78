"""The standalone app's commands, added to Tocsin's `flask tocsin` group: users, demo set-up.

In a host app they do not exist: the host has its own users.
"""

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from tocsin import state as tocsin_state
from tocsin.channels.addresses import InvalidAddress, check_address
from tocsin.cli import init as tocsin_init
from tocsin.extensions import store

from . import schema, users
from .models import User

DEMO_USERS = ("alice", "bob")
#: Demo users who are admins: alice opens the analytics page, bob shows it refused.
DEMO_ADMINS = ("alice",)
DEMO_PASSWORD = "tocsin"  # noqa: S105 - printed on purpose for the demo


def init_app(app: Flask) -> None:
    """Add `tocsin user ...` and the app's own `tocsin init` to this app's `tocsin` group."""
    group = app.cli.commands["tocsin"]
    group.add_command(init)  # type: ignore[attr-defined]
    group.add_command(user)  # type: ignore[attr-defined]


@click.command("init")
@click.option("--demo", is_flag=True, help="Also create the demo users alice and bob.")
@click.pass_context
@with_appcontext
def init(ctx: click.Context, demo: bool) -> None:
    """Bring Tocsin's tables, then the app's users table, up to date (and add demo users)."""
    ctx.invoke(tocsin_init)
    schema.upgrade_schema()
    if demo:
        for name in DEMO_USERS:
            users.ensure_demo(store.session, name, DEMO_PASSWORD, admin=name in DEMO_ADMINS)
        click.echo(
            f"Demo users: {', '.join(DEMO_USERS)} (password: {DEMO_PASSWORD}; "
            f"{', '.join(DEMO_ADMINS)} an admin), who log in only while TOCSIN_DEMO=1. "
            "Log in at http://127.0.0.1:5000/login"
        )


@click.group("user")
def user() -> None:
    """Manage users."""


@user.command("create")
@click.argument("name")
@click.option("--email", default=None, help="The address unread notifications are emailed to.")
@click.option("--admin", is_flag=True, help="May open the analytics page.")
@with_appcontext
def user_create(name: str, email: str | None, admin: bool) -> None:
    """Create a user; the password comes from stdin or a prompt."""
    try:
        address = check_address(email or "")
    except InvalidAddress as exc:
        raise click.BadParameter(str(exc), param_hint="--email") from None
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        users.check_password(password)  # NIST SP 800-63B: at least 8 characters
        created = users.create(store.session, name, password, admin=admin)
    except users.InvalidUser as exc:
        raise click.UsageError(str(exc)) from None
    if address:
        tocsin_state.current().directory.set_email(store.session, created.id, address)
        store.session.commit()
    click.echo(f"Created {'admin' if admin else 'user'} {created.username} (id {created.id}).")


@user.command("list")
@with_appcontext
def user_list() -> None:
    """List users: id and name, one per line (and "admin" for admins)."""
    for u in store.session.scalars(sa.select(User).order_by(User.id)):
        click.echo(f"{u.id}\t{u.username}" + ("\tadmin" if u.admin else ""))
