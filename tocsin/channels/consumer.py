"""Huey consumers for the app's queue: `flask tocsin worker`'s, and the embedded one.

`flask tocsin worker` runs Huey's Consumer as Huey means it to: on the main thread,
with its signal handlers. SIGTERM, what supervisors send, stops it once the running
jobs end; SIGINT (Ctrl-C) stops it at once.

The embedded consumer (TOCSIN_EMBEDDED_WORKER=1, what `make run` sets) runs in the web
server's process, whose main thread belongs to the server: Consumer.start
would set signal handlers, which Python allows on the main thread only, and would
take over the server's Ctrl-C. So EmbeddedConsumer sets none; its worker and scheduler
threads are daemons that end with the process, and a thread of its own restarts a
worker that died (Consumer.run's health check, which runs on the main thread
otherwise). A job cut off by the exit leaves a claim that runs out; the sweep sends it.

It starts with the process's first request (`Embedded`), not when the app is
created: `flask tocsin init` and other commands create the app too, the reloader's
parent process serves nothing, and gunicorn may create the app before it forks.
"""

import logging
import threading

from flask import Flask
from huey.consumer import Consumer

from .queue import Queue

log = logging.getLogger(__name__)

#: Seconds between the embedded consumer's checks that its threads are alive.
HEALTH_INTERVAL = 10.0
#: Worker threads of the embedded consumer: a demo's email and push jobs, a few at a time.
EMBEDDED_WORKERS = 2


def consumer(queue: Queue, workers: int) -> Consumer:
    """A consumer of `queue` with `workers` threads: jobs wait on SMTP and HTTP, not the CPU."""
    return Consumer(queue.huey, workers=workers, worker_type="thread", graceful_signal="TERM")


class EmbeddedConsumer(Consumer):
    """A consumer on daemon threads beside a web server: no signal handlers."""

    def _set_signal_handlers(self) -> None:
        """Leave the server's signal handlers alone (and work off the main thread)."""

    def start(self) -> None:
        """Start the worker and scheduler threads, and one that restarts dead ones."""
        super().start()
        threading.Thread(target=self._watch, name="tocsin-queue-health", daemon=True).start()

    def _watch(self) -> None:
        while not self.stop_flag.wait(HEALTH_INTERVAL):
            try:
                self.check_worker_health()
            except Exception:
                log.exception("embedded queue consumer: health check failed")


class Embedded:
    """Start one embedded consumer per process, at the first request."""

    def __init__(self, queue: Queue, workers: int = EMBEDDED_WORKERS) -> None:
        self.queue = queue
        self.workers = workers
        self.consumer: EmbeddedConsumer | None = None
        self._tried = False
        self._lock = threading.Lock()

    def init_app(self, app: Flask) -> None:
        """Start the consumer before the first request this process serves."""
        app.before_request(self.ensure_running)

    def ensure_running(self) -> None:
        """Start the consumer unless this process runs one already."""
        if self._tried:
            return
        with self._lock:
            if self._tried:
                return
            self._tried = True  # once: a consumer that cannot start must not fail requests
            try:
                started = EmbeddedConsumer(self.queue.huey, workers=self.workers)
                started.start()
            except Exception:
                log.exception("embedded queue consumer did not start; run `flask tocsin worker`")
                return
            self.consumer = started
            log.info("embedded queue consumer: %d worker threads", self.workers)

    def stop(self) -> None:
        """Stop the threads after their current jobs."""
        with self._lock:
            if self.consumer is not None:
                self.consumer.stop(graceful=True)
                self.consumer = None
            self._tried = False
