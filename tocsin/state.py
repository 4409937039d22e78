"""What Tocsin keeps per app, in one object: ``app.extensions["tocsin"]``.

Tocsin.init_app builds it; every layer reads its own part through `current()` or
`of(app)`. The parts come from several layers (the broker, the live registry and render
cache), so they are named here for annotations only and never imported at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from flask_limiter import Limiter
    from flask_sqlalchemy import SQLAlchemy

    from .analytics.flush import Flusher
    from .analytics.recorder import Recorder
    from .broker.base import ListeningBroker
    from .channels.consumer import Embedded
    from .channels.presence import Presence
    from .channels.queue import Queue
    from .channels.scrape import QueueDepth
    from .live.registry import Registry
    from .live.stencil import Stencils
    from .notifications.channels import Channel
    from .notifications.policy import Policy
    from .notifications.sweeper import Sweeper
    from .notifications.types import TypeCatalog
    from .recipients import ModelDirectory

#: Where the state lives in ``app.extensions``.
KEY = "tocsin"


@dataclass(eq=False)
class State:
    """Tocsin's parts for one app in this process."""

    #: The Flask-SQLAlchemy instance Tocsin runs on: its own, or the host app's.
    db: SQLAlchemy
    #: Maps publishers' user names to recipient ids.
    directory: ModelDirectory
    types: TypeCatalog
    #: This process's open sockets; the broker delivers events to it.
    registry: Registry
    broker: ListeningBroker
    #: The render cache: pushes and snapshot items rendered once for many sockets.
    stencils: Stencils
    #: The delivery policy: its rules decide per recipient and channel.
    policy: Policy
    #: Where a stored notification goes after the commit (the live channel by default).
    channels: list[Channel]
    #: Releases held toasts as one summary when a pause ends; started with the first socket.
    sweeper: Sweeper | None = None
    #: Rate limits on logins and API calls (limits.py); set right after the state.
    limiter: Limiter | None = None
    #: The body-size setting that caps each covered blueprint's requests (bodies.py).
    body_limits: dict[str, str] = field(default_factory=dict)
    #: The job queue the channels beyond the open tab run on (channels/queue.py).
    queue: Queue | None = None
    #: The consumer run in this process when TOCSIN_EMBEDDED_WORKER=1 (channels/consumer.py).
    embedded: Embedded | None = None
    #: Who has a visible tab, across processes (channels/presence.py); None: nobody known.
    presence: Presence | None = None
    #: This process's analytics events not yet added to the daily table (analytics/).
    analytics: Recorder | None = None
    #: Writes `analytics` to the database now and then, and at exit (analytics/flush.py).
    analytics_flusher: Flusher | None = None
    #: Reads the queue's depth for /metrics with a Redis client of its own (metrics_views.py).
    queue_depth: QueueDepth | None = None
    #: When this process last deleted expired idempotency keys (time.monotonic()).
    idempotency_purged_at: float = 0.0


def of(app: Flask) -> State:
    """Return Tocsin's state on `app`."""
    return app.extensions[KEY]


def current() -> State:
    """Return Tocsin's state on the current app."""
    return current_app.extensions[KEY]


def installed(app: Flask) -> bool:
    """Tell whether Tocsin is set up on `app`."""
    return KEY in app.extensions
