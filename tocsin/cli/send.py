"""`flask tocsin send`: publish from a terminal, a cron job or a script."""

import json

import click
from flask.cli import with_appcontext

from .. import state
from ..extensions import store
from ..notifications import pipeline
from ..notifications.validation import PRIORITIES, InvalidNotification, clean

#: The option each of the input model's fields comes from, where the names differ.
OPTIONS = {"recipients": "--to", "type": "--type", "group_key": "--group"}


@click.command("send")
@click.option(
    "--to",
    "to",
    multiple=True,
    metavar="USER",
    help="Recipient user name, or id:N for user id N; repeat for several.",
)
@click.option("--all", "to_all", is_flag=True, help="Every user.")
@click.option(
    "--type",
    "type_",
    required=True,
    help="A type of the app's catalog (built-in: comment, mention, like, ...).",
)
@click.option("--title", required=True)
@click.option("--body")
@click.option("--url", help="A relative or http(s) link.")
@click.option("--priority", type=click.Choice(PRIORITIES), help="Defaults to the type's own.")
@click.option("--data", metavar="JSON", help='A JSON object, e.g. \'{"order_id": "A-1"}\'.')
@click.option("--actor", help="Who caused it, as the item shows it.")
@click.option("--group", "group_key", metavar="KEY", help="A group key.")
@with_appcontext
def send(to, to_all, type_, title, body, url, priority, data, actor, group_key) -> None:
    """Send a notification to each recipient; print the new ids, one per line."""
    if bool(to) == to_all:
        raise click.UsageError("give --to USER (one or more) or --all, not both")
    session = store.session
    try:
        content = clean(
            type=type_,
            title=title,
            body=body,
            url=url,
            priority=priority,
            data=_json_object(data),
            actor=actor,
            group_key=group_key,
        )
        refs = state.current().directory.all_ids(session) if to_all else list(to)
        ids = pipeline.publish(session, refs, content, entry="cli")
        session.commit()  # the command's own session: nothing else is in this transaction
    except InvalidNotification as exc:
        session.rollback()
        field, _, message = str(exc).partition(": ")
        hint = OPTIONS.get(field, f"--{field}")
        raise click.BadParameter(message or str(exc), param_hint=hint) from None
    for nid in ids:
        click.echo(nid)


def _json_object(raw: str | None) -> dict | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidNotification(f"data: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise InvalidNotification("data: must be a JSON object")
    return value
