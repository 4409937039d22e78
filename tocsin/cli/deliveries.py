"""`flask tocsin deliveries`: list deliveries, retry a failed or dead one, sweep once."""

import click
from flask.cli import with_appcontext

from ..channels import manage, queue, sweep
from ..extensions import store
from ..models import Delivery

#: Columns of the listing: (header, width); the last error takes the rest of the line.
COLUMNS = (("id", 8), ("notif", 8), ("user", 6), ("channel", 8), ("state", 8), ("tries", 5))
ERROR_CHARS = 60


@click.group("deliveries", invoke_without_command=True)
@click.option("--failed", is_flag=True, help="Only failed and dead deliveries.")
@click.option(
    "--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="Rows."
)
@click.pass_context
@with_appcontext
def deliveries(ctx: click.Context, failed: bool, limit: int) -> None:
    """List the most recently changed deliveries (push, email), newest first."""
    if ctx.invoked_subcommand is not None:
        return
    rows = manage.recent(store.session, failed, limit)
    if not rows:
        click.echo("no failed deliveries" if failed else "no deliveries")
        return
    header = " ".join(f"{name:<{width}}" for name, width in COLUMNS)
    click.echo(f"{header} {'due / updated (UTC)':<33} last error")
    for row in rows:
        click.echo(line(row))


def line(row: Delivery) -> str:
    """One delivery as a line of the listing."""
    values = (row.id, row.notification_id, row.user_id, row.channel, row.state, row.attempts)
    cells = " ".join(f"{v!s:<{w}}" for v, (_, w) in zip(values, COLUMNS, strict=True))
    when = f"{row.due_at:%Y-%m-%d %H:%M:%S} / {row.updated_at:%H:%M:%S}"
    error = (row.last_error or "").replace("\n", " ")
    if len(error) > ERROR_CHARS:
        error = error[: ERROR_CHARS - 1] + "…"
    return f"{cells} {when:<33} {error}".rstrip()


@deliveries.command("retry")
@click.argument("delivery_id", type=int)
@with_appcontext
def retry(delivery_id: int) -> None:
    """Put a failed or dead delivery back in the queue, due now, with its attempts reset."""
    try:
        taken = manage.retry(store.session, delivery_id, queue.enqueue)
    except manage.NotRetryable as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from exc
    where = "enqueued" if taken else "queued (the queue is unreachable: the sweep will enqueue it)"
    click.echo(f"delivery {delivery_id} {where}")


@deliveries.command("sweep")
@with_appcontext
def sweep_once() -> None:
    """Enqueue the deliveries due and still pending that no job holds (the periodic sweep)."""
    swept = sweep.sweep(store.session, queue.enqueue)
    click.echo(f"enqueued {swept} deliveries")
