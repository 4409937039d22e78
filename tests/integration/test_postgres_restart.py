"""PostgreSQL restarts (``pg_ctl restart -m fast``) under a running server: nothing notices.

Every pooled connection dies with the restart. The first request to draw one answered
500; now it is pinged on checkout and replaced. The socket loop and the embedded
broker's poll loop carry on, and every open tab catches up.
"""

import json
import urllib.error
import urllib.request

import pytest

from app import create_app, users
from tests.integration.postgres_server import PostgresServer
from tests.support import ClientModel, HttpSession, LiveServer, flask_cli, server_env, wait_until
from tocsin.api import tokens
from tocsin.extensions import db


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.remove()


@pytest.fixture
def token(postgres, tmp_path, monkeypatch) -> str:
    """Fresh tables with alice and bob on the private cluster; return an API token."""
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": postgres.url, "SECRET_KEY": "test-secret"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        for name in ("alice", "bob"):
            users.create(db.session, name, "tocsin")
        _, secret = tokens.create(db.session, "tests")
        db.session.remove()
        db.engine.dispose()  # the test process holds no connection across the restart
    return secret


def publish(server: LiveServer, token: str, title: str) -> tuple[int, dict]:
    """POST a notification for alice to the server's API; return the status and JSON."""
    body = json.dumps({"recipients": ["alice"], "type": "comment", "title": title}).encode()
    req = urllib.request.Request(
        server.url + "/api/v1/notifications",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.fixture
def serve(postgres, token, tmp_path):
    servers = []

    def serve(**settings: str) -> LiveServer:
        servers.append(LiveServer(server_env(tmp_path, postgres.url, **settings)).start())
        return servers[-1]

    yield serve
    for server in servers:
        server.stop()


def test_the_first_publish_after_a_restart_succeeds_and_tabs_catch_up(
    postgres, token, serve, redis_url, channel_prefix
):
    # Production's set-up: Redis carries the events, so nothing else touches the pool
    # between the restart and the publish.
    server = serve(TOCSIN_REDIS_URL=redis_url, TOCSIN_REDIS_CHANNEL_PREFIX=channel_prefix)
    alice = HttpSession(server.url).login("alice")
    with alice.websocket() as ws:
        tab = ClientModel()
        tab.read(ws, lambda m: m.badge == 0)
        status, before = publish(server, token, "before the restart")
        assert status == 201
        tab.read(ws, lambda m: m.ids == before["ids"])

        postgres.restart()

        status, after = publish(server, token, "after the restart")
        assert status == 201, after
        tab.read(ws, lambda m: m.ids == after["ids"] + before["ids"] and m.badge == 2)
        status, _, _ = alice.post(
            f"/notifications/{before['ids'][0]}/read", headers={"HX-Request": "true"}
        )
        assert status == 200
        tab.read(ws, lambda m: m.badge == 1)


def test_the_embedded_broker_and_sockets_carry_on_after_a_restart(postgres, token, serve):
    server = serve()  # no Redis: each process polls the event table
    alice = HttpSession(server.url).login("alice")

    def broker_state() -> str:
        return json.loads(alice.get("/healthz")[1])["broker"]["state"]

    with alice.websocket() as ws:
        tab = ClientModel()
        tab.read(ws, lambda m: m.badge == 0)
        assert broker_state() == "listening"

        postgres.restart()

        # Another process publishes (a cron job): only the server's poll loop can bring it.
        sent = flask_cli(
            server.env,
            "tocsin",
            "send",
            "--to",
            "alice",
            "--type",
            "comment",
            "--title",
            "from a cron job",
        )
        assert sent.returncode == 0, sent.stderr
        from_cron = int(sent.stdout.strip().splitlines()[-1])
        tab.read(ws, lambda m: m.ids == [from_cron] and m.badge == 1)
        status, body = publish(server, token, "through the API")
        assert status == 201, body
        tab.read(ws, lambda m: m.ids == body["ids"] + [from_cron] and m.badge == 2)
        wait_until(lambda: broker_state() == "listening", what="broker listening")
