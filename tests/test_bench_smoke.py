"""Smoke test of the latency harness (bench.latency): tiny sizes, correctness only.

Every notification must reach its user's socket exactly once and no other socket;
the figures themselves are never asserted (timings live in bench/results/).
"""

import pytest

from app import broker, create_app, users
from app.extensions import db
from bench import latency
from tests.support import GunicornServer, server_env

CLIENTS = 6  # the 5 probe users plus one crowd socket, which must receive nothing
PUBLISHES = 10


def assert_exactly_once(result: dict) -> None:
    assert result["held"] == CLIENTS
    assert result["handshake_failed"] == 0
    assert result["warmup_lost"] == 0
    assert result["expected"] == PUBLISHES
    assert result["received"] == PUBLISHES
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["misdelivered"] == 0
    assert result["unexpected_ids"] == 0
    assert result["unstamped"] == 0
    assert result["latency_ms"]["n"] == PUBLISHES


def test_peer_a_delivers_every_notification_exactly_once(redis_url, channel_prefix, tmp_path):
    result = latency.run_peer_a(
        redis_url, channel_prefix, CLIENTS, PUBLISHES, tmp_path, spacing=(0, 0)
    )
    assert_exactly_once(result)
    assert result["message_length_median"] == 2600


@pytest.mark.postgres
def test_tocsin_delivers_every_notification_exactly_once(
    redis_url, channel_prefix, tmp_path, monkeypatch
):
    from tests.conftest import postgres_url

    db_url = postgres_url()
    settings = {"TOCSIN_REDIS_URL": redis_url, "TOCSIN_REDIS_CHANNEL_PREFIX": channel_prefix}
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret", **settings}
    )
    keys = latency.user_keys(users=1)
    with app.app_context():
        db.drop_all()
        db.create_all()
        user_ids = {k: users.create(db.session, latency.username(k), "tocsin").id for k in keys}
        db.session.remove()
    server = GunicornServer(server_env(tmp_path, db_url, **settings)).start()
    try:
        cookies = latency.login_all(server.url, keys)
        result = latency.run_tocsin(
            server.url, app, user_ids, cookies, CLIENTS, PUBLISHES, tmp_path, spacing=(0, 0)
        )
    finally:
        server.stop()
        app.extensions[broker.EXTENSION_KEY].stop()
        with app.app_context():
            db.engine.dispose()
    assert_exactly_once(result)
    assert server.returncode == 0
