"""The `flask tocsin` commands: set up the database, manage users and API tokens, send."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from .. import users
from ..extensions import store
from ..models import User
from ..notifications import service
from ..schema import upgrade_schema
from .accounts import user
from .send import send
from .tokens import token

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
            users.ensure_demo(store.session, name, DEMO_PASSWORD)
        click.echo(
            f"Demo users: {', '.join(DEMO_USERS)} (password: {DEMO_PASSWORD}), who log in "
            "only while TOCSIN_DEMO=1. Log in at http://127.0.0.1:5000/login"
        )


@tocsin.command("recount")
@with_appcontext
def recount() -> None:
    """Rebuild every user's unread counter from the rows (repair after manual edits)."""
    for u in store.session.scalars(sa.select(User)):
        click.echo(f"{u.username}: {service.recount_unread(store.session, u.id)}")


tocsin.add_command(send)
tocsin.add_command(user)
tocsin.add_command(token)
