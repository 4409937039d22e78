"""Count analytics events in this process and add them to the daily table in batches.

Every layer that sees an event calls `record()`: the pipeline (sent), the live layer and
the channels (delivered), the inbox's routes (seen, read, clicked, dismissed, archived,
acted). A call only adds to an in-memory counter under a lock; `flush()` turns the counter
into one upsert per (day, type, channel, event), so the cost per publish is a dict update.
"""

import threading
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Protocol

from ..models import utcnow

#: The funnel, in order.
EVENTS = ("sent", "delivered", "seen", "read", "clicked", "dismissed", "archived", "acted")


class Row(Protocol):
    """What an event is counted from: a stored notification (or anything with these)."""

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

    def record(self, event: str, channel: str, rows: Iterable[Row]) -> None:
        """Count `event` on `channel` once for each of `rows`."""
        if event not in EVENTS:
            raise ValueError(f"unknown analytics event {event!r}")
        now = utcnow()
        day = now.date()
        with self._lock:
            for row in rows:
                self._counts[(day, row.type, channel, event)] += 1
                if self.keep_raw:
                    self._raw.append((row.id, row.user_id, row.type, channel, event, now))

    def take(self) -> tuple[Counter, list[tuple]]:
        """Return and forget what was counted so far (flush() writes it)."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            raw, self._raw = self._raw, []
        return counts, raw
