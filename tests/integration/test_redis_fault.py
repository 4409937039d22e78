"""Redis stops while notifications are published, then comes back: nothing lost or doubled."""

import json

import pytest
import sqlalchemy as sa

from tests.integration.redis_server import RedisServer
from tests.support import ClientModel, wait_until
from tocsin.extensions import db
from tocsin.models import Notification


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def use_redis(redis_server, channel_prefix, monkeypatch):
    """Point the server and the publisher at the test's own Redis."""
    monkeypatch.setenv("TOCSIN_REDIS_URL", redis_server.url)
    monkeypatch.setenv("TOCSIN_REDIS_CHANNEL_PREFIX", channel_prefix)


def broker_state(session) -> str:
    return json.loads(session.get("/healthz")[1])["broker"]["state"]


def test_redis_restart_loses_nothing_and_doubles_nothing(redis_server, publisher, send, login):
    alice = login("alice")
    with alice.websocket() as tab1, alice.websocket() as tab2:
        tabs = {tab1: ClientModel(), tab2: ClientModel()}
        for ws, model in tabs.items():
            model.read(ws, lambda m: m.badge == 0)
        assert broker_state(alice) == "listening"
        before = [send(title=f"before {i}") for i in range(3)]
        for ws, model in tabs.items():
            model.read(ws, lambda m: m.ids[:1] == [before[-1]])

        redis_server.stop()
        down = [send(title=f"while down {i}") for i in range(5)]  # commits all the same
        status, _, _ = alice.post(
            f"/notifications/{before[0]}/read", headers={"HX-Request": "true"}
        )
        assert status == 200  # a read on the server works and reaches its own sockets
        wait_until(lambda: broker_state(alice) == "reconnecting", what="broker reconnecting")

        redis_server.start()
        wait_until(lambda: broker_state(alice) == "listening", what="broker back")
        after = [send(title=f"after {i}") for i in range(2)]

        with publisher.app_context():
            committed = list(
                db.session.scalars(
                    sa.select(Notification.id)
                    .where(Notification.user_id == 1)
                    .order_by(Notification.id.desc())
                )
            )
        assert committed == sorted(before + down + after, reverse=True)
        expected_badge = len(committed) - 1
        for ws, model in tabs.items():
            model.read(ws, lambda m: m.ids == committed and m.badge == expected_badge)
            assert model.duplicates == []
