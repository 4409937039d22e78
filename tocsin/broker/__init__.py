"""Carry events from publishers to the processes holding the users' connections.

The database is the source of truth; the broker is only a doorbell. Every broker
dispatches to this process's registry at once and tells the other processes.
"""

from flask import Flask, current_app

from ..live.registry import Registry
from .database import DatabaseBroker
from .redis import RedisBroker

EXTENSION_KEY = "tocsin.broker"


def init_app(app: Flask) -> None:
    registry = Registry(app.config.get("TOCSIN_MAX_SOCKETS_PER_USER", 0))
    url = app.config.get("TOCSIN_REDIS_URL")
    # Same interface either way; the configuration picks the transport.
    app.extensions[EXTENSION_KEY] = (
        RedisBroker(app, registry, url) if url else DatabaseBroker(app, registry)
    )


def current():
    """Return the app's broker."""
    return current_app.extensions[EXTENSION_KEY]


def publish(user_id: int, event: dict) -> None:
    """Publish an event for one user; never raises (the row is already committed)."""
    current().publish(user_id, event)
