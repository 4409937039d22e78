"""Tocsin's log lines: plain text or JSON lines (TOCSIN_LOG_FORMAT), ids and never content.

The events an operator follows (publish, connect, disconnect, delivery) are logged as
``log.info("publish", extra=fields(...))``: the message is the event's name and the
fields are ids, counts, states and durations. Only the names in FIELDS are written, so
a notification's title, body, URL, actor or data cannot reach a log through an extra.
"""

import json
import logging
import sys
from datetime import UTC, datetime

#: The fields an event may carry; anything else passed in `extra` is not written.
FIELDS = (
    "notification_ids",
    "count",
    "user_id",
    "socket_id",
    "delivery_id",
    "notification_id",
    "channel",
    "state",
    "attempts",
    "code",
    "entry",
    "type",
    "duration_ms",
)
#: Notification ids one publish line lists: a fan-out to 10,000 gives its count instead.
MAX_IDS = 20
FORMATS = ("text", "json")
#: The logger every Tocsin module's logger is under.
ROOT = "tocsin"


def fields(**values) -> dict:
    """Return `values` for a log call's `extra`, without the unset ones."""
    return {k: v for k, v in values.items() if v is not None}


def ids(values: list[int]) -> list[int]:
    """The notification ids a line may list: the first MAX_IDS."""
    return values[:MAX_IDS]


def _carried(record: logging.LogRecord) -> dict:
    return {name: record.__dict__[name] for name in FIELDS if name in record.__dict__}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, event, the event's fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **_carried(record),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger event key=value ...``: the same fields, for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        pairs = " ".join(f"{k}={v}" for k, v in _carried(record).items())
        line = super().formatMessage(record)
        return f"{line} {pairs}" if pairs else line


def init_app(app) -> None:
    """Log JSON lines to stderr when TOCSIN_LOG_FORMAT=json, unless logging is set up already.

    The handler goes on the root logger, so the WSGI server's and the queue's lines come
    out in the same format; a host (or a test runner) that configured logging keeps its
    own handlers, and may put JsonFormatter on them. Tocsin's events are INFO.
    """
    chosen = app.config["TOCSIN_LOG_FORMAT"]
    if chosen not in FORMATS:
        raise ValueError(f"TOCSIN_LOG_FORMAT={chosen!r}: give one of {', '.join(FORMATS)}")
    root = logging.getLogger()
    # Text is the default: a library leaves logging as the host set it (and a line per
    # publish on stderr would drown `tocsin send`'s output). JSON lines are asked for.
    if chosen != "json" or root.handlers:
        return  # configured by the host, the runner, or a first app in this process
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    tocsin = logging.getLogger(ROOT)
    if tocsin.level == logging.NOTSET:
        tocsin.setLevel(logging.INFO)
