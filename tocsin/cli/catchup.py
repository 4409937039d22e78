"""`flask tocsin catchup`: one catch-up sweep, for cron or a deployment without sockets."""

import click
from flask.cli import with_appcontext

from ..extensions import store
from ..notifications import catchup as catchup_


@click.command("catchup")
@with_appcontext
def catchup() -> None:
    """End run-out snoozes and send the summaries due once quiet hours or snoozes end."""
    swept = catchup_.sweep(store.session)
    for user_id in swept.expired:
        click.echo(f"user {user_id}: snooze ended")
    for user_id, count in swept.summaries.items():
        click.echo(f"user {user_id}: summary of {count}")
    for user_id in swept.quiet:
        click.echo(f"user {user_id}: released, nothing unread")
    for user_id in swept.failed:
        click.echo(f"user {user_id}: failed (see the log)", err=True)
    click.echo(
        f"{len(swept.summaries)} summaries, {len(swept.expired)} snoozes ended,"
        f" {len(swept.failed)} failed"
    )
    if swept.failed:
        raise SystemExit(1)
