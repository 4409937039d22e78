"""`flask tocsin prune`: apply the retention rules once, for cron or by hand."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import store
from ..notifications import retention

COUNT = click.IntRange(min=0)


@click.command("prune")
@click.option("--dry-run", is_flag=True, help="Count what would go; remove nothing.")
@click.option("--keep", type=COUNT, help="Rows per user (default TOCSIN_KEEP_PER_USER; 0: no cap).")
@click.option(
    "--days", type=COUNT, help="Retention in days (default TOCSIN_RETENTION_DAYS; 0: no age rule)."
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 50_000),
    default=retention.BATCH_SIZE,
    show_default=True,
    help="Rows per transaction.",
)
@with_appcontext
def prune(dry_run: bool, keep: int | None, days: int | None, batch_size: int) -> None:
    """Remove read or archived notifications past the retention period and rows past each
    user's cap (never an unread one younger than the retention period); print the counts."""
    config = current_app.config
    keep = config["TOCSIN_KEEP_PER_USER"] if keep is None else keep
    days = config["TOCSIN_RETENTION_DAYS"] if days is None else days
    done = retention.prune(
        store.session,
        keep,
        days,
        batch_size=batch_size,
        dry_run=dry_run,
        analytics_days=config["TOCSIN_ANALYTICS_RETENTION_DAYS"],
    )
    verb = "would remove" if dry_run else "removed"
    age = f"older than {days} days" if days else "no age rule"
    cap = f"beyond {keep} per user" if keep else "no cap"
    click.echo(f"{verb} {done.aged} read or archived notifications ({age})")
    click.echo(f"{verb} {done.capped} notifications ({cap}), {done.unread} of them unread")
    click.echo(
        f"{verb} {done.members} group members, {done.held} held deliveries,"
        f" {done.undo} expired undo records, {done.events} raw analytics events"
    )
    click.echo(
        f"{done.batches} batches of at most {batch_size} rows, longest {done.longest:.3f} s,"
        f" {done.seconds:.2f} s in all"
    )
