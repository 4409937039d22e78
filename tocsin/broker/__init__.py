"""Carry events from publishers to the processes holding the users' connections.

The database is the source of truth; the broker is only a doorbell. Every broker
hands an event to this process's `deliver` callback at once and tells the other
processes, whose brokers hand it to theirs.
"""

from flask import Flask

from .. import state
from .base import Deliver, ListeningBroker
from .database import DatabaseBroker
from .redis import RedisBroker


def create(app: Flask, deliver: Deliver) -> ListeningBroker:
    """Return the broker `app`'s configuration picks, delivering to `deliver`."""
    url = app.config.get("TOCSIN_REDIS_URL")
    # Same interface either way; the configuration picks the transport.
    return RedisBroker(app, deliver, url) if url else DatabaseBroker(app, deliver)


def current() -> ListeningBroker:
    """Return the app's broker."""
    return state.current().broker


def publish(user_id: int, event: dict) -> None:
    """Publish an event for one user; never raises (the row is already committed)."""
    current().publish(user_id, event)
