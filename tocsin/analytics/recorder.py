"""Count analytics events in this process and add them to the daily table in batches.

Every layer that sees an event calls `record()`: the pipeline (sent), the live layer and
the channels (delivered), the inbox's routes (seen, read, clicked, dismissed, archived,
acted). A call only adds to an in-memory counter under a lock; `flush()` turns the counter
into one upsert per (day, type, channel, event), so the cost per publish is a dict update.
"""

import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable
from datetime import date
from typing import NamedTuple, Protocol

from ..models import utcnow

#: The funnel, in order.
EVENTS = ("sent", "delivered", "seen", "read", "clicked", "dismissed", "archived", "acted")
#: The in-app channel: the row in the bell, panel, inbox and toast (docs/analytics.md).
LIVE = "live"
#: Raw events kept in memory while the database is down; older ones are dropped first.
MAX_RAW = 100_000
#: Distinct (day, type, channel, event) keys kept while the database is down.
MAX_KEYS = 50_000
#: Ids `record_once` remembers per event and channel (several tabs, one count).
ONCE_MEMORY = 10_000


class Row(Protocol):
    """What an event is counted from: a stored notification (or anything with these)."""

    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> int: ...
    @property
    def type(self) -> str: ...


class Hit(NamedTuple):
    """A notification as an event names it, when no row object is at hand."""

    id: int
    user_id: int
    type: str


class Recorder:
    """This process's uncounted events; one per app (state.analytics)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[date, str, str, str]] = Counter()
        #: (notification_id, user_id, type, channel, event, at) while raw events are kept.
        self._raw: list[tuple] = []
        self.keep_raw = False
        #: Called (once per process) at the first record: starts the flush thread (flush.py).
        self.on_first_record: Callable[[], None] | None = None
        self._pid = 0
        self._once: OrderedDict[tuple[str, str, int], None] = OrderedDict()
        #: Events lost to the bounds while flushes failed (logged by the flusher).
        self.dropped = 0

    def record(self, event: str, channel: str, rows: Iterable[Row]) -> None:
        """Count `event` on `channel` once for each of `rows`."""
        if event not in EVENTS:
            raise ValueError(f"unknown analytics event {event!r}")
        if self._pid != os.getpid():
            self._started_here()
        now = utcnow()
        day = now.date()
        with self._lock:
            for row in rows:
                self._counts[(day, row.type, channel, event)] += 1
                if self.keep_raw:
                    self._raw.append((row.id, row.user_id, row.type, channel, event, now))
            if len(self._raw) > MAX_RAW:
                self.dropped += len(self._raw) - MAX_RAW
                del self._raw[: len(self._raw) - MAX_RAW]

    def record_many(
        self, event: str, channel: str, type_: str, pairs: Collection[tuple[int, int]]
    ) -> None:
        """Count `event` on `channel` for each (user id, notification id) of one type: the
        publish path's call, one counter update however many recipients."""
        if event not in EVENTS:
            raise ValueError(f"unknown analytics event {event!r}")
        if not pairs:
            return
        if self._pid != os.getpid():
            self._started_here()
        now = utcnow()
        with self._lock:
            self._counts[(now.date(), type_, channel, event)] += len(pairs)
            if self.keep_raw:
                self._raw += [(nid, uid, type_, channel, event, now) for uid, nid in pairs]
                if len(self._raw) > MAX_RAW:
                    self.dropped += len(self._raw) - MAX_RAW
                    del self._raw[: len(self._raw) - MAX_RAW]

    def record_once(self, event: str, channel: str, rows: Iterable[Row]) -> None:
        """Count `event` for those of `rows` not counted by this call before (recently)."""
        fresh = []
        with self._lock:
            for row in rows:
                key = (event, channel, row.id)
                if key in self._once:
                    continue
                self._once[key] = None
                fresh.append(row)
            while len(self._once) > ONCE_MEMORY:
                self._once.popitem(last=False)
        if fresh:
            self.record(event, channel, fresh)

    def take(self) -> tuple[Counter, list[tuple]]:
        """Return and forget what was counted so far (flush() writes it)."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            raw, self._raw = self._raw, []
        return counts, raw

    def put_back(self, counts: Counter, raw: list[tuple]) -> None:
        """Return what a failed flush took, within MAX_KEYS and MAX_RAW (oldest dropped)."""
        with self._lock:
            for key, n in counts.items():
                if key in self._counts or len(self._counts) < MAX_KEYS:
                    self._counts[key] += n
                else:
                    self.dropped += n
            merged = raw + self._raw
            if len(merged) > MAX_RAW:
                self.dropped += len(merged) - MAX_RAW
                merged = merged[-MAX_RAW:]
            self._raw = merged

    def _started_here(self) -> None:
        # The first record in this process (or in a child forked after the parent counted:
        # the parent flushes its own counts, so the child's copy is dropped).
        with self._lock:
            if self._pid and self._pid != os.getpid():
                self._counts.clear()
                self._raw.clear()
            self._pid = os.getpid()
        if self.on_first_record is not None:
            self.on_first_record()
