"""A queued channel for the queue's tests: it records each attempt, and fails on cue.

`Recorder` appends a line per attempt to a file (so worker processes can record too)
and raises the outcomes it is given, one per attempt, in turn. The type "queued_test"
has a one-step chain on it, so a publish of that type stages one delivery per recipient.
`create_app()` is the standalone app with both added: `flask --app
"tests.queue_support:create_app()" tocsin worker` runs a worker that records to
TOCSIN_TEST_ATTEMPTS.
"""

import os
import threading
import time
from pathlib import Path

from app import create_app as create_standalone
from tocsin import state
from tocsin.channels.base import QueuedChannel
from tocsin.models import Delivery, Notification
from tocsin.notifications.escalation import Step
from tocsin.notifications.types import NotificationType

NAME = "recorder"
TYPE = NotificationType("queued_test", "system", "Queued test", escalation=(Step(NAME),))


class Recorder(QueuedChannel):
    """Record every attempt in `path`; raise `outcomes` in turn (None: sent)."""

    name = NAME

    def __init__(self, path: Path, outcomes=(), hold: float = 0.0) -> None:
        self.path = Path(path)
        self.outcomes = list(outcomes)
        self.hold = hold
        self._lock = threading.Lock()

    def attempt(self, session, delivery: Delivery, notification: Notification) -> None:
        with self._lock, self.path.open("a") as out:
            out.write(f"{delivery.id} {os.getpid()} {threading.get_ident()}\n")
            outcome = self.outcomes.pop(0) if self.outcomes else None
        if self.hold:
            time.sleep(self.hold)  # hold the claim while a rival tries for it
        if outcome is not None:
            raise outcome

    def attempts(self) -> list[int]:
        """The delivery id of each attempt so far, in order."""
        if not self.path.exists():
            return []
        return [int(line.split()[0]) for line in self.path.read_text().splitlines()]


def install(app, path: Path, outcomes=(), hold: float = 0.0) -> Recorder:
    """Add a Recorder and the type "queued_test" to `app`; return the recorder."""
    recorder = Recorder(path, outcomes, hold)
    state.of(app).channels.append(recorder)
    state.of(app).types.add(TYPE)
    return recorder


def create_app():
    """The standalone app with a Recorder writing to TOCSIN_TEST_ATTEMPTS and holding each
    attempt TOCSIN_TEST_HOLD seconds (worker processes)."""
    app = create_standalone()
    install(
        app,
        Path(os.environ["TOCSIN_TEST_ATTEMPTS"]),
        hold=float(os.environ.get("TOCSIN_TEST_HOLD", "0")),
    )
    return app
