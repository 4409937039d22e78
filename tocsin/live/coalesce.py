"""Serve many sockets' lookups with one query: who asks while a query runs joins the next.

A fan-out wakes thousands of sockets at once, each wanting its new row and its user's
unread count. Asked one socket at a time that is two queries per socket; here the
first asker runs one query for every key asked so far, and everyone who asks while it
runs waits for the next query, which takes all of them. Every answer comes from a
query that started after the question was asked, so it is never older than the
commit that caused the question.
"""

import threading
from collections.abc import Callable, Hashable, Iterable


class _Batch:
    __slots__ = ("done", "error", "keys", "result")

    def __init__(self) -> None:
        self.keys: set = set()
        self.result: dict = {}
        self.error: BaseException | None = None
        self.done = threading.Event()


class Coalescer:
    """Batch concurrent `get(keys)` calls into calls of `fetch(keys) -> {key: value}`."""

    def __init__(self, fetch: Callable[[set], dict]) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()
        self._in_flight = threading.Lock()
        self._open: _Batch | None = None

    def get(self, keys: Iterable[Hashable]) -> dict:
        """Return {key: value} for `keys` (a key the fetch did not return is missing)."""
        with self._lock:
            batch = self._open
            leader = batch is None
            if batch is None:
                batch = self._open = _Batch()
            batch.keys.update(keys)
        if leader:
            # While the previous query runs, later askers join this batch.
            with self._in_flight:
                with self._lock:
                    self._open = None
                try:
                    batch.result = self._fetch(batch.keys)
                except BaseException as exc:
                    batch.error = exc
                finally:
                    batch.done.set()
        else:
            batch.done.wait()
        if batch.error is not None:
            raise RuntimeError("a batched lookup failed") from batch.error
        return batch.result
