"""This process's open connections, by user, and the hand-off of events to them."""

import atexit
import threading
import time
from collections import defaultdict

from .connection import POLICY_VIOLATION, SERVICE_RESTART, TOO_MANY_SOCKETS, Connection


class Registry:
    """Track local connections and hand each user's events to that user's sockets."""

    def __init__(self, max_per_user: int = 0) -> None:
        self._lock = threading.Lock()
        # Oldest first (a dict keeps insertion order): the cap closes from the front.
        self._by_user: dict[int, dict[Connection, None]] = defaultdict(dict)
        #: Open sockets one user may hold in this process (0: no cap).
        self.max_per_user = max_per_user
        #: Set by close_all: the close code for sockets that arrive after it.
        self.closing: int | None = None
        self._closes_at_exit = False

    def add(self, conn: Connection) -> None:
        """Track the connection, closing the user's oldest beyond the cap; one arriving
        after close_all is marked to close at once."""
        with self._lock:
            conns = self._by_user[conn.user_id]
            conns[conn] = None
            live = [c for c in conns if c.close_code is None]
            evicted = live[: max(0, len(live) - self.max_per_user)] if self.max_per_user else []
        for old in evicted:
            # The newest tab is the one in front of the user; 1008 is not retried, so
            # the closed tab stays closed instead of evicting the next in a loop.
            old.close(POLICY_VIOLATION, TOO_MANY_SOCKETS)
        if self.closing is not None:
            # A stopping worker still accepts for up to a second; a socket let in then
            # must not hold the worker until its grace period runs out.
            conn.close(self.closing)

    def remove(self, conn: Connection) -> None:
        with self._lock:
            conns = self._by_user.get(conn.user_id)
            if conns is not None:
                conns.pop(conn, None)
                if not conns:
                    del self._by_user[conn.user_id]

    def dispatch(self, user_id: int | None, event: dict) -> int:
        """Offer the event to the user's local sockets (None: to all); return how many took it."""
        if user_id is None:
            return self.broadcast(event)
        with self._lock:
            conns = list(self._by_user.get(user_id, ()))
        return sum(conn.offer(event) for conn in conns)

    def close_at_exit(self) -> None:
        """Close every socket with 1012 when the process exits (registered once)."""
        # Browsers then reconnect (to the next worker) at once instead of after a timeout.
        with self._lock:
            if self._closes_at_exit:
                return
            self._closes_at_exit = True
        atexit.register(self.close_all, SERVICE_RESTART)

    def close_all(self, code: int, wait: float = 2.0) -> None:
        """Ask every local connection, and any later one, to close with `code`; wait up
        to `wait` s for them."""
        self.closing = code
        with self._lock:
            conns = [c for cs in self._by_user.values() for c in cs]
        for conn in conns:
            conn.close(code)
        deadline = time.monotonic() + wait
        while conns and self.count() and time.monotonic() < deadline:
            time.sleep(0.02)

    def count(self) -> int:
        with self._lock:
            return sum(len(cs) for cs in self._by_user.values())

    def broadcast(self, event: dict) -> int:
        """Offer the event to every local connection; return how many took it."""
        with self._lock:
            conns = [c for cs in self._by_user.values() for c in cs]
        return sum(conn.offer(event) for conn in conns)
