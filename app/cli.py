"""The `flask tocsin` commands: set up the database, manage users, send notifications."""

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from . import users
from .extensions import store
from .models import User
from .notifications import service
from .notifications.types import NOTIFICATION_TYPES
from .notifications.validation import PRIORITIES, InvalidNotification
from .schema import upgrade_schema

DEMO_USERS = ("alice", "bob")
DEMO_PASSWORD = "tocsin"  # noqa: S105 - printed on purpose for the demo


@click.group("tocsin")
def tocsin() -> None:
    """Tocsin notification center."""


@tocsin.command("init")
@click.option("--demo", is_flag=True, help="Also create the demo users alice and bob.")
@with_appcontext
def init(demo: bool) -> None:
    """Bring the database schema up to date through the migrations (and add demo users)."""
    upgrade_schema()
    click.echo(f"Database ready: {store.engine.url.render_as_string(hide_password=True)}")
    if demo:
        for name in DEMO_USERS:
            if users.by_username(store.session, name) is None:
                users.create(store.session, name, DEMO_PASSWORD)
        click.echo(
            f"Demo users: {', '.join(DEMO_USERS)} (password: {DEMO_PASSWORD}). "
            "Log in at http://127.0.0.1:5000/login"
        )


@tocsin.command("send")
@click.option("--to", "to", required=True, help="Recipient username.")
@click.option("--type", "type_", required=True, type=click.Choice(sorted(NOTIFICATION_TYPES)))
@click.option("--title", required=True)
@click.option("--body")
@click.option("--url", help="A relative or http(s) link.")
@click.option("--priority", type=click.Choice(PRIORITIES), help="Defaults to the type's own.")
@with_appcontext
def send(to, type_, title, body, url, priority) -> None:
    """Send a notification; print its id."""
    user = users.by_username(store.session, to)
    if user is None:
        raise click.BadParameter(f"no user named {to!r}", param_hint="--to")
    try:
        notification = service.create(
            store.session, user.id, type=type_, title=title, body=body, url=url, priority=priority
        )
    except InvalidNotification as exc:
        field, _, message = str(exc).partition(": ")
        raise click.BadParameter(message or str(exc), param_hint=f"--{field}") from None
    click.echo(notification.id)


@tocsin.group("user")
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
        created = users.create(store.session, name, password)
    except users.InvalidUser as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Created user {created.username} (id {created.id}).")


@tocsin.command("recount")
@with_appcontext
def recount() -> None:
    """Rebuild every user's unread counter from the rows (repair after manual edits)."""
    for u in store.session.scalars(sa.select(User)):
        click.echo(f"{u.username}: {service.recount_unread(store.session, u.id)}")
