"""Tocsin's Prometheus metrics: what each layer counts as it goes, one object per metric.

Defined once per process in prometheus-client's default registry, so a host's own
metrics show beside them. Under gunicorn each worker writes its values to files in
PROMETHEUS_MULTIPROC_DIR (tocsin/gunicorn.py sets one up) and a scrape of any worker
adds them up (metrics_views.py); the gauges say how (`multiprocess_mode`). What the
database and the queue know (deliveries by state, queue depth) is asked at scrape time
instead (channels/scrape.py): it is the same whichever process changed it.

The hot paths pay one `inc()` each (a lock and an add; a few hundred nanoseconds), so
labelled children that a hot path uses are bound here, once.
"""

import os

from prometheus_client import Counter, Gauge, Histogram

#: The environment variable that puts prometheus-client in multiprocess mode; it must be
#: set before the first metric is created (prometheus_client.values reads it at import).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Publish latency from the pipeline's entry to its announce: a few ms for one recipient
#: on SQLite, around a second for a 10,000-recipient fan-out (bench/results/SUMMARY.md).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

OPEN_SOCKETS = Gauge(
    "tocsin_open_sockets",
    "WebSockets open now (summed over live workers).",
    multiprocess_mode="livesum",
)
_MESSAGES = Counter("tocsin_socket_messages", "Messages sent to sockets, by kind.", ["kind"])
#: A rendered batch of events sent to one socket (one per batch, whatever its size).
PUSHES = _MESSAGES.labels("push")
#: The badge-and-list snapshot a socket gets on connect and after a resync.
SNAPSHOTS = _MESSAGES.labels("snapshot")
SOCKET_CLOSES = Counter(
    "tocsin_socket_closes",
    "Sockets closed, by close code (1013: fell behind or missed a pong; 1008: signed "
    "out, over the per-user cap or flooding; 1012: server restart; 1006: dropped).",
    ["code"],
)

OPEN_STREAMS = Gauge(
    "tocsin_open_streams",
    "Event streams (the fallback for a blocked WebSocket) open now (summed over live workers).",
    multiprocess_mode="livesum",
)
_STREAM_MESSAGES = Counter(
    "tocsin_stream_messages", "Events with content sent to event streams, by kind.", ["kind"]
)
STREAM_PUSHES = _STREAM_MESSAGES.labels("push")
STREAM_SNAPSHOTS = _STREAM_MESSAGES.labels("snapshot")
#: Why a stream ended: the browser went away (`client`), or the server ended it, as a
#: socket's close code would say (`signed_out`, `too_many`, `behind`, `restart`), or the
#: database was down (`unavailable`). The browser comes back by itself after all but the
#: first two.
STREAM_ENDS = Counter("tocsin_stream_ends", "Event streams ended, by reason.", ["reason"])

PUBLISHES = Counter("tocsin_publishes", "Calls to the publish pipeline, by entry point.", ["entry"])
NOTIFICATIONS = Counter(
    "tocsin_published_notifications", "Notifications stored by the publish pipeline."
)
PUBLISH_SECONDS = Histogram(
    "tocsin_publish_seconds",
    "Seconds from a publish's entry to the end of its announce (after the commit).",
    buckets=LATENCY_BUCKETS,
)

BROKER_UP = Gauge(
    "tocsin_broker_up",
    "1 while this process's broker listener receives or has not been needed; 0 while "
    "it reconnects (the lowest over live workers).",
    multiprocess_mode="livemin",
)
BROKER_RECONNECTS = Counter(
    "tocsin_broker_reconnects", "Times a broker listener lost its link and began reconnecting."
)

DELIVERY_OUTCOMES = Counter(
    "tocsin_delivery_outcomes",
    "Delivery attempts recorded by the workers of this host, by channel and new state.",
    ["channel", "state"],
)


# Series that alerts watch exist from the start at 0, so that a first event is an increase.
for _code in ("1008", "1012", "1013"):
    SOCKET_CLOSES.labels(_code)
for _reason in ("behind", "restart", "too_many"):
    STREAM_ENDS.labels(_reason)
for _entry in ("python", "api", "cli", "service"):
    PUBLISHES.labels(_entry)


def multiprocess_dir() -> str | None:
    """The folder workers share their values through, if multiprocess mode is on."""
    return os.environ.get(MULTIPROC_ENV) or None
