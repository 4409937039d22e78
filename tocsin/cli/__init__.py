"""The `flask tocsin` commands: set up the database, recount, manage API tokens, send,
the catch-up sweep, the prune, the queue's worker and its deliveries."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..extensions import store
from ..models import Notification, UnreadCounter
from ..notifications import service
from ..schema import upgrade_schema
from .catchup import catchup
from .deliveries import deliveries
from .prune import prune
from .send import send
from .tokens import token
from .worker import worker


def group() -> click.Group:
    """Return a `tocsin` group of its own for one app, which may add commands to it."""
    commands = click.Group("tocsin", help="Tocsin notification center.")
    for command in (init, recount, send, token, catchup, prune, worker, deliveries):
        commands.add_command(command)
    return commands


@click.command("init")
@with_appcontext
def init() -> None:
    """Bring Tocsin's tables up to date through its migrations."""
    upgrade_schema()
    click.echo(f"Database ready: {store.engine.url.render_as_string(hide_password=True)}")


@click.command("recount")
@with_appcontext
def recount() -> None:
    """Rebuild the unread and unseen counters of every user who has one or any notification."""
    counted = sa.select(UnreadCounter.user_id)
    notified = sa.select(Notification.user_id).distinct()
    user_ids = store.session.scalars(sa.union(counted, notified).order_by("user_id")).all()
    for user_id in user_ids:
        click.echo(f"user {user_id}: {service.recount_unread(store.session, user_id)}")
