"""One state object per app, and the broker's delivery callback that the live layer gives it."""

from flask import Flask

from tocsin import broker, state
from tocsin.broker.base import RESYNC
from tocsin.extension import registry_of
from tocsin.live import registry as registry_module
from tocsin.live import stencil
from tocsin.live.connection import SERVICE_RESTART, Connection
from tocsin.live.registry import Registry


def test_everything_tocsin_keeps_is_one_object_on_the_app(app, client):
    client.get("/notifications/bell")  # a request: nothing is added lazily either
    assert [key for key in app.extensions if key.startswith("tocsin")] == [state.KEY]
    tocsin = state.of(app)
    assert tocsin.db is app.extensions["sqlalchemy"]
    assert tocsin.limiter is not None
    assert tocsin.body_limits  # Tocsin's blueprints and the demo's are capped
    with app.app_context():
        assert state.current() is tocsin
        assert stencil.for_app() is tocsin.stencils
        assert broker.current() is tocsin.broker


def test_registry_of_finds_the_sockets_of_an_app_with_tocsin_only(app):
    assert registry_of(app) is state.of(app).registry
    assert registry_of(Flask("host")) is None


def test_the_broker_delivers_to_the_callback_it_was_given(app):
    got = []
    b = broker.create(app, lambda user_id, event: got.append((user_id, event)))
    with app.app_context():
        b.publish(1, {"kind": "created", "ids": [1]})
        b.publish_many([(2, {"kind": "read", "ids": [2]}), (3, {"kind": "read", "ids": [3]})])
    assert got == [
        (1, {"kind": "created", "ids": [1]}),
        (2, {"kind": "read", "ids": [2]}),
        (3, {"kind": "read", "ids": [3]}),
    ]
    got.clear()
    b._lost()  # the listener lost its link: events may have been missed meanwhile
    b._ready()
    assert got == [(None, RESYNC)]  # None: every local socket


def test_the_registry_takes_an_event_for_everyone_as_the_callback():
    registry = Registry()
    conns = [Connection(1, 10), Connection(1, 10), Connection(2, 10)]
    for conn in conns:
        registry.add(conn)
    assert registry.dispatch(None, RESYNC) == 3
    assert [conn.wait(0) for conn in conns] == [[RESYNC]] * 3


def test_sockets_are_closed_with_1012_at_exit_registered_once(monkeypatch):
    registered = []
    monkeypatch.setattr(registry_module.atexit, "register", lambda *a: registered.append(a))
    registry = Registry()
    registry.close_at_exit()
    registry.close_at_exit()
    assert registered == [(registry.close_all, SERVICE_RESTART)]
