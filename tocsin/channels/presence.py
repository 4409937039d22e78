"""Who has a visible tab, across processes: push and browser notifications wait for none.

Each socket reports its tab's visibility (the page sends it on open and on every change,
server.py reads it); its process writes an entry per socket with an expiry and keeps
pushing the expiry on while the socket lives, and removes the entry when it closes. A
process that dies takes its entries with it within TOCSIN_PRESENCE_TTL. Any process (a
queue worker) asks `any_visible`. Two stores: Redis when TOCSIN_REDIS_URL is set
(presence_redis.py), else the database's tocsin_presence table (presence_db.py).
"""

import itertools
import logging
import os
import re
import secrets
import socket
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9.-]")
_process: tuple[int, str] | None = None
_counter = itertools.count(1)


class Presence(Protocol):
    """Where sockets report their tab's visibility and workers ask about it."""

    def any_visible(self, user_id: int) -> bool:
        """Whether the user has a tab open and visible anywhere in the deployment."""
        ...

    def tabs(self, user_id: int) -> list[bool]:
        """The visibility of each of the user's live tabs, visible ones first."""
        ...

    def report(self, key: str, user_id: int, visible: bool) -> None:
        """Record a socket's tab as visible or hidden; never raise."""
        ...

    def forget(self, key: str) -> None:
        """Remove a closed socket's entry; never raise."""
        ...

    def refresh_due(self) -> None:
        """Push this process's entries' expiry on, if a third of their time has gone."""
        ...


def process_id() -> str:
    """This process's part of every key: host, pid and a random word (fresh after a fork)."""
    global _process
    pid = os.getpid()
    if _process is None or _process[0] != pid:
        host = _SAFE.sub("", socket.gethostname())[:20] or "host"
        _process = (pid, f"{host}:{pid}:{secrets.token_hex(4)}")
    return _process[1]


def new_key() -> str:
    """A key for one socket, unique in the deployment (at most 52 characters)."""
    return f"{process_id()}:{next(_counter)}"


class LocalTabs:
    """What a store keeps of this process's sockets, to refresh them; subclasses write."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._held: dict[str, tuple[int, bool]] = {}
        self._lock = threading.Lock()
        self._refreshed = time.monotonic()

    def report(self, key: str, user_id: int, visible: bool) -> None:
        with self._lock:
            self._held[key] = (user_id, visible)
        self._safely(self._write, key, user_id, visible, time.time() + self.ttl)

    def forget(self, key: str) -> None:
        with self._lock:
            held = self._held.pop(key, None)
        if held is not None:
            self._safely(self._delete, key, held[0])

    def refresh_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._refreshed < self.ttl / 3:
                return
            self._refreshed = now
            held = dict(self._held)
        if held:
            self._safely(self._extend, held, time.time() + self.ttl)

    def _safely(self, write, *args) -> None:
        # A socket must outlive an outage of the store; the entry is written again at the
        # next change, and meanwhile push errs on the side of being sent.
        try:
            write(*args)
        except Exception:
            log.warning("presence: %s failed", write.__name__, exc_info=True)

    def _write(self, key: str, user_id: int, visible: bool, expires: float) -> None:
        raise NotImplementedError

    def _delete(self, key: str, user_id: int) -> None:
        raise NotImplementedError

    def _extend(self, held: dict[str, tuple[int, bool]], expires: float) -> None:
        raise NotImplementedError


class Tab:
    """One socket's entry: written when its visibility changes, removed when it closes."""

    def __init__(self, presence: Presence | None, user_id: int) -> None:
        self.presence = presence
        self.user_id = user_id
        self.key = new_key()
        #: What was last written; None until the page first says.
        self.reported: bool | None = None

    def update(self, visible: bool | None) -> None:
        """Write a changed visibility; refresh the process's entries when due."""
        if self.presence is None:
            return
        if visible is not None and visible != self.reported:
            self.presence.report(self.key, self.user_id, visible)
            self.reported = visible
        self.presence.refresh_due()

    def close(self) -> None:
        """Remove the entry (the socket closed)."""
        if self.presence is not None and self.reported is not None:
            self.presence.forget(self.key)
