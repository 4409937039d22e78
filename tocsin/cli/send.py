"""`flask tocsin send`: publish from a terminal, a cron job or a script."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import store
from ..notifications.publish import deliver, resolve
from ..notifications.validation import PRIORITIES, InvalidNotification, clean


@click.command("send")
@click.option("--to", "to", multiple=True, metavar="USER",
              help="Recipient user name, or id:N for user id N; repeat for several.")
@click.option("--all", "to_all", is_flag=True, help="Every user.")
@click.option("--type", "type_", required=True,
              help="A type of the app's catalog (built-in: comment, mention, like, ...).")
@click.option("--title", required=True)
@click.option("--body")
@click.option("--url", help="A relative or http(s) link.")
@click.option("--priority", type=click.Choice(PRIORITIES), help="Defaults to the type's own.")
@with_appcontext
def send(to, to_all, type_, title, body, url, priority) -> None:
    """Send a notification to each recipient; print the new ids, one per line."""
    if bool(to) == to_all:
        raise click.UsageError("give --to USER (one or more) or --all, not both")
    try:
        payload = clean(type=type_, title=title, body=body, url=url, priority=priority)
        if to_all:
            recipients = current_app.extensions["tocsin"].directory.all_ids(store.session)
        else:
            recipients = resolve(store.session, list(to))
    except InvalidNotification as exc:
        field, _, message = str(exc).partition(": ")
        hint = "--to" if field == "recipients" else f"--{field}"
        raise click.BadParameter(message or str(exc), param_hint=hint) from None
    for nid in deliver(store.session, recipients, payload):
        click.echo(nid)
