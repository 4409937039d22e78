"""Production serving: gunicorn with tocsin.gunicorn closes sockets with 1012 on SIGTERM."""

import os
import signal

import pytest
from websockets.exceptions import ConnectionClosed

from app import users
from tests.support import GunicornServer, HttpSession, badge_count, item_ids, recv_until, server_env
from tocsin.extensions import db
from tocsin.live.connection import SERVICE_RESTART
from tocsin.notifications import service

#: Longer than any wait in these tests: a socket that closes with 1012 in time was
#: closed by the shutdown hook, not cut when the worker ran out of grace.
GRACE = "60"


@pytest.fixture
def start_gunicorn(publisher, database_url, tmp_path):
    servers = []

    def start(worker_class: str | None = None) -> GunicornServer:
        env = server_env(tmp_path, database_url, TOCSIN_GRACEFUL_TIMEOUT=GRACE)
        servers.append(GunicornServer(env, worker_class=worker_class).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def mark_read(publisher):
    def mark_read(name: str, nid: int) -> None:
        with publisher.app_context():
            service.mark_read(db.session, users.by_username(db.session, name).id, nid)

    return mark_read


def close_code(ws) -> int | None:
    """Read until the server closes the socket; return the code of its close frame."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=10)
    return closed.value.rcvd.code if closed.value.rcvd else None


def assert_snapshot(message: str, ids: list[int], unread: int) -> None:
    """The snapshot shows exactly the committed state: every id once, newest first."""
    shown = item_ids(message)
    assert shown == sorted(ids, reverse=True)
    assert len(set(shown)) == len(shown)
    assert badge_count(message) == unread


@pytest.mark.parametrize("worker_class", ["gevent", "gthread"])
def test_sigterm_to_a_worker_closes_with_1012_and_its_successor_serves_the_state(
    start_gunicorn, send, mark_read, worker_class
):
    server = start_gunicorn(worker_class)
    alice, bob = HttpSession(server.url).login("alice"), HttpSession(server.url).login("bob")
    alices, bobs = [send(title="before")], [send("bob", title="bob's before")]
    with alice.websocket() as tab1, alice.websocket() as tab2, bob.websocket() as tab3:
        for ws, ids in ((tab1, alices), (tab2, alices), (tab3, bobs)):
            assert_snapshot(ws.recv(timeout=5), ids, unread=1)
        old = server.worker_pids()[0]
        os.kill(old, signal.SIGTERM)
        assert [close_code(ws) for ws in (tab1, tab2, tab3)] == [SERVICE_RESTART] * 3

    # While the tabs are away (a browser waits a moment before it reconnects):
    alices += [send(title=f"while away {i}") for i in range(3)]
    bobs.append(send("bob", title="bob's while away"))
    mark_read("alice", alices[0])
    server.wait_for_new_worker(old)

    with alice.websocket() as tab1, alice.websocket() as tab2, bob.websocket() as tab3:
        for ws in (tab1, tab2):
            assert_snapshot(ws.recv(timeout=5), alices, unread=3)
        assert_snapshot(tab3.recv(timeout=5), bobs, unread=2)
        # The new worker's listener delivers live again, once per tab.
        nid = send(title="after")
        for ws in (tab1, tab2):
            pushed = recv_until(ws, lambda m: f'id="notification-{nid}"' in m[-1])[-1]
            assert item_ids(pushed) == [nid] and badge_count(pushed) == 4


def test_sigterm_to_the_master_closes_every_socket_with_1012_then_a_restart_resyncs(
    start_gunicorn, send
):
    server = start_gunicorn()  # the worker class tocsin.gunicorn chooses
    alice, bob = HttpSession(server.url).login("alice"), HttpSession(server.url).login("bob")
    alices, bobs = [send(title="before")], []
    with alice.websocket() as tab1, alice.websocket() as tab2, bob.websocket() as tab3:
        for ws in (tab1, tab2, tab3):
            ws.recv(timeout=5)
        server.stop(signal.SIGTERM)
        # It exited by itself (stop() kills after 30 s), long before its 60 s of grace ran
        # out: no worker sat waiting for its sockets to end.
        assert server.returncode == 0
        assert [close_code(ws) for ws in (tab1, tab2, tab3)] == [SERVICE_RESTART] * 3

    alices += [send(title=f"while down {i}") for i in range(3)]
    bobs.append(send("bob", title="bob's while down"))
    server.start()

    with alice.websocket() as tab1, bob.websocket() as tab3:
        assert_snapshot(tab1.recv(timeout=5), alices, unread=4)
        assert_snapshot(tab3.recv(timeout=5), bobs, unread=1)
