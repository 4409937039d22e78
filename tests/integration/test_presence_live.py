"""Presence seen from another process: a real server's socket says visible, hidden, closed.

The server keeps the entries (the database's table, or Redis when set); the test process
is another app instance on the same database and Redis, as a queue worker would be.
"""

import pytest

from app import users
from tests.support import wait_until
from tocsin import state
from tocsin.channels.presence_db import DatabasePresence
from tocsin.channels.presence_redis import RedisPresence
from tocsin.extensions import db


@pytest.fixture(params=["database", "redis"])
def store_kind(request, monkeypatch):
    if request.param == "redis":
        monkeypatch.setenv("TOCSIN_REDIS_URL", request.getfixturevalue("redis_url"))
        monkeypatch.setenv("TOCSIN_REDIS_CHANNEL_PREFIX", request.getfixturevalue("channel_prefix"))
    return request.param


@pytest.fixture
def publisher(store_kind, publisher):
    """The test's app, created after the store's settings (it reads them at creation)."""
    return publisher


def tabs_of(app, name: str) -> list[bool]:
    with app.app_context():
        return state.of(app).presence.tabs(users.by_username(db.session, name).id)


def visible(app, name: str) -> bool:
    with app.app_context():
        return state.of(app).presence.any_visible(users.by_username(db.session, name).id)


def test_visible_hidden_closed_seen_from_another_process(store_kind, publisher, login):
    kind = {"database": DatabasePresence, "redis": RedisPresence}[store_kind]
    assert isinstance(state.of(publisher).presence, kind)
    alice = login("alice")
    with alice.websocket() as ws, login("alice").websocket() as other:
        ws.recv(timeout=5)  # the snapshot
        other.recv(timeout=5)
        assert tabs_of(publisher, "alice") == []  # the pages have not said yet
        ws.send("visibility:visible")
        other.send("visibility:hidden")
        wait_until(lambda: tabs_of(publisher, "alice") == [True, False], what="visible + hidden")
        assert visible(publisher, "alice") and not visible(publisher, "bob")
        ws.send("visibility:hidden")
        wait_until(lambda: tabs_of(publisher, "alice") == [False, False], what="both hidden")
        assert not visible(publisher, "alice")
        ws.send("visibility:visible")
        wait_until(lambda: visible(publisher, "alice"), what="visible again")
    # Both closed: their entries go at once, not at their expiry.
    wait_until(lambda: tabs_of(publisher, "alice") == [], what="entries removed on close")


def test_anything_else_the_page_sends_is_dropped(store_kind, publisher, login):
    with login("alice").websocket() as ws:
        ws.recv(timeout=5)
        for junk in ("visibility:maybe", "visibility:visible" + "x" * 100, '{"visible": true}'):
            ws.send(junk)
        ws.send(b"visibility:visible")  # a binary frame is not the page's message
        ws.send("visibility:hidden")
        wait_until(lambda: tabs_of(publisher, "alice") == [False], what="the one valid message")
