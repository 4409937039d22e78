"""The Redis broker against the real Redis server: two apps stand for two processes."""

import json

import pytest
import redis

from app import create_app
from tocsin import broker, state
from tocsin.broker.redis import RedisBroker
from tocsin.extensions import db
from tocsin.live.connection import Connection


@pytest.fixture
def make_app(tmp_path, monkeypatch, redis_url, channel_prefix):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    apps = []

    def make_app(url=redis_url):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'redis.sqlite3'}",
                "TOCSIN_REDIS_URL": url,
                "TOCSIN_REDIS_CHANNEL_PREFIX": channel_prefix,
            }
        )
        apps.append(app)
        return app

    yield make_app
    for app in apps:
        state.of(app).broker.stop()
        with app.app_context():
            db.engine.dispose()


def listen(app, user_id=1) -> Connection:
    conn = Connection(user_id, 100)
    b = state.of(app).broker
    state.of(app).registry.add(conn)
    b.ensure_listening()
    assert b.status() == {"kind": "redis", "state": "listening"}
    return conn


def test_configuration_picks_redis(make_app):
    assert isinstance(state.of(make_app()).broker, RedisBroker)


def test_publish_reaches_the_other_process_once(make_app):
    a, b = make_app(), make_app()
    here, there, bobs = listen(a), listen(b), listen(b, user_id=2)
    with a.app_context():
        broker.publish(1, {"kind": "created", "ids": [5]})
    assert here.wait(0) == [{"kind": "created", "ids": [5]}]  # at once, in-process
    assert there.wait(5) == [{"kind": "created", "ids": [5]}]
    assert here.wait(0.3) == [] and there.wait(0.3) == [] and bobs.wait(0) == []


def test_events_travel_on_the_users_channel(make_app, redis_url, channel_prefix):
    app = make_app()
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    sub = raw.pubsub(ignore_subscribe_messages=True)
    sub.subscribe(f"{channel_prefix}:user:42")
    try:
        assert sub.get_message(timeout=2) is None  # subscription confirmed, nothing yet
        with app.app_context():
            broker.publish(42, {"kind": "read", "ids": [1]})
        message = sub.get_message(timeout=5)
        assert message["channel"] == f"{channel_prefix}:user:42"
        assert json.loads(message["data"])["event"] == {"kind": "read", "ids": [1]}
    finally:
        sub.close()
        raw.close()


def test_publish_with_redis_down_still_reaches_local_sockets(make_app):
    from tests.support import free_port

    app = make_app(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    conn = Connection(1, 10)
    state.of(app).registry.add(conn)
    with app.app_context():
        broker.publish(1, {"kind": "created", "ids": [1]})  # must not raise
    assert conn.wait(0) == [{"kind": "created", "ids": [1]}]
