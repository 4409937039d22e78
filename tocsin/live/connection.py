"""One open WebSocket: a bounded inbox of events, drained by the socket's own thread."""

import threading
from collections import deque

#: Close codes the htmx ws extension reconnects after.
TRY_AGAIN_LATER = 1013
SERVICE_RESTART = 1012
#: Close code for a session that ended (logout): the client must not reconnect.
POLICY_VIOLATION = 1008
#: Close reason for a socket closed to keep its user within the per-user cap.
TOO_MANY_SOCKETS = "Too many sockets for this user"


class Connection:
    """Queue events for one socket; overflowing marks it for closing with 1013."""

    def __init__(self, user_id: int, maxsize: int, session_id: str | None = None) -> None:
        self.user_id = user_id
        self.session_id = session_id
        #: Unix time the login expires; the socket closes then, like the session.
        self.expires_at: float | None = None
        self.maxsize = maxsize
        self.close_code: int | None = None
        #: Why it is to close, sent with the close frame.
        self.close_reason = ""
        #: Highest notification id the connect snapshot accounted for.
        self.snapshot_id = 0
        #: Notification ids pushed into the client's list since the snapshot.
        self.sent_ids: set[int] = set()
        #: The CSRF token this socket's pages post with (put into shared renderings).
        self.csrf_token: str | None = None
        #: When it was signed (time.monotonic()): renewed before the time limit (csrf.py).
        self.csrf_issued_at = 0.0
        self._events: deque[dict] = deque()
        self._woken = False
        self._cond = threading.Condition()

    def offer(self, event: dict) -> bool:
        """Queue an event without blocking; on overflow mark the connection for closing."""
        with self._cond:
            if self.close_code is not None:
                return False
            if len(self._events) >= self.maxsize:
                # A client that stopped reading must not make the publisher wait.
                self.close_code = TRY_AGAIN_LATER
                self._events.clear()
                self._cond.notify()
                return False
            self._events.append(event)
            self._cond.notify()
            return True

    def close(self, code: int, reason: str = "") -> None:
        """Ask the socket's thread to close with `code` and `reason`."""
        with self._cond:
            if self.close_code is None:
                self.close_code, self.close_reason = code, reason
            self._cond.notify()

    def wake(self) -> None:
        """End the socket thread's wait without an event (the tab's visibility changed)."""
        with self._cond:
            self._woken = True
            self._cond.notify()

    def wait(self, timeout: float) -> list[dict]:
        """Return the queued events, waiting up to `timeout` seconds for the first (or
        a wake)."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._events or self._woken or self.close_code is not None, timeout
            )
            self._woken = False
            events = list(self._events)
            self._events.clear()
            return events
