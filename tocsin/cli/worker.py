"""`flask tocsin worker`: run a consumer of the app's job queue (any number, anywhere)."""

import logging

import click
from flask.cli import with_appcontext

from .. import state
from ..channels import consumer


@click.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="Worker threads in this process.",
)
@with_appcontext
def worker(workers: int) -> None:
    """Run the queue's jobs (emails, pushes, the deliveries sweep) until stopped: SIGTERM
    waits for the running jobs, Ctrl-C does not (the sweep sends what it cut off)."""
    queue = state.current().queue
    if queue is None or queue.huey.immediate:
        raise click.UsageError("TOCSIN_QUEUE_IMMEDIATE=1 runs jobs at once: no worker needed")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("huey").setLevel(logging.INFO)
    consumer.consumer(queue, workers).run()
