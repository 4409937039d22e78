"""What every broker shares: local delivery at once, one listener thread per process."""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from flask import Flask

from .. import metrics

log = logging.getLogger(__name__)

#: Where a broker hands this process's events: `deliver(user_id, event)`, or
#: `deliver(None, event)` for every local socket. The live layer gives it at init.
Deliver = Callable[[int | None, dict], object]
#: An event that makes every local socket send a fresh snapshot (events may be lost).
RESYNC = {"kind": "resync"}
#: How long the first socket waits for the listener before it sends its snapshot.
READY_TIMEOUT = 3.0


class ListeningBroker:
    """Hand events to `deliver` at once and to other processes through `_send`.

    Subclasses implement `_send(user_id, event)` and `_listen()`, which runs on the
    listener thread until `self._stop` is set and calls `_ready()` whenever it starts
    receiving (again).
    """

    kind = "abstract"

    def __init__(self, app: Flask, deliver: Deliver) -> None:
        self.app = app
        self.deliver = deliver
        self.origin = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.state = "idle"
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._is_ready = threading.Event()
        self._missed = False
        # Up until a listener is lost: a process that never needs one is not "down".
        metrics.BROKER_UP.set(1)

    def publish(self, user_id: int, event: dict) -> None:
        """Deliver to this process's sockets, then tell the others; never raise."""
        self.deliver(user_id, event)
        try:
            self._send(user_id, event)
        except Exception:
            # The row is committed; other processes' clients catch up on their next snapshot.
            log.exception("%s broker: could not publish for user %s", self.kind, user_id)

    def publish_many(self, events: list[tuple[int, dict]]) -> None:
        """Publish (user_id, event) pairs: a fan-out tells other processes in one go."""
        for user_id, event in events:
            self.deliver(user_id, event)
        try:
            self._send_many(events)
        except Exception:
            log.exception("%s broker: could not publish %d events", self.kind, len(events))

    def ensure_listening(self) -> None:
        """Start this process's single listener once; wait briefly until it receives."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name=f"tocsin-{self.kind}-broker", daemon=True
                )
                self._thread.start()
        # A snapshot taken before the listener receives could miss an event in between.
        if not self._is_ready.wait(READY_TIMEOUT):
            self._missed = True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def status(self) -> dict:
        return {"kind": self.kind, "state": self.state}

    def _run(self) -> None:
        with self.app.app_context():
            self._listen()
        self.state = "stopped"

    def _ready(self) -> None:
        """Mark the listener as receiving; resync local sockets if events may be lost."""
        self.state = "listening"
        metrics.BROKER_UP.set(1)
        self._is_ready.set()
        if self._missed:
            self._missed = False
            self.deliver(None, RESYNC)

    def _lost(self) -> None:
        """Mark the listener as not receiving: events published now will be missed."""
        self.down()
        self.state = "reconnecting"
        self._is_ready.clear()
        self._missed = True

    def down(self) -> None:
        """Count a lost link once per outage (a reconnect begins) and show the broker down."""
        if self.state not in ("reconnecting", "error"):
            metrics.BROKER_RECONNECTS.inc()
        metrics.BROKER_UP.set(0)

    def _send(self, user_id: int, event: dict) -> None:
        raise NotImplementedError

    def _send_many(self, events: list[tuple[int, dict]]) -> None:
        for user_id, event in events:
            self._send(user_id, event)

    def _listen(self) -> None:
        raise NotImplementedError
