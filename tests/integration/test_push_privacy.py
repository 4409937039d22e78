"""Issue 9, item 2: what one fan-out pushes never shows a user another user's data.

A push is rendered once for every recipient (live/stencil.py). Served by gunicorn's
gevent worker, where the first socket's request used to render it for all of them: a
host template that greets `current_user` greeted all eight users with one name.
"""

import re
from contextlib import ExitStack

import pytest

from app import users
from tests.support import ClientModel, GunicornServer, HttpSession, recv_until, server_env
from tocsin import notify_many
from tocsin.extensions import db

NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
GREETING_RE = re.compile(r"Hi ([^:<]*):")


@pytest.fixture
def greeting_server(publisher, database_url, tmp_path):
    with publisher.app_context():
        for name in NAMES[2:]:
            users.create(db.session, name, "tocsin")
    server = GunicornServer(
        server_env(tmp_path, database_url),
        worker_class="gevent",
        app="tests.integration.greeting_app:app",
    ).start()
    yield server
    server.stop()


def greetings(message: str) -> set[str]:
    return set(GREETING_RE.findall(message))


def assert_no_one_sees_another(shown: dict[str, set[str]]) -> None:
    """No user's message names another user; rendered as nobody, it names no one."""
    leaks = {name: seen - {"", name} for name, seen in shown.items() if seen - {"", name}}
    assert leaks == {}, f"shown another user's name: {leaks}"
    assert all(seen == {""} for seen in shown.values()), shown


def test_one_fan_out_under_gevent_greets_nobody_by_another_users_name(publisher, greeting_server):
    sessions = {name: HttpSession(greeting_server.url).login(name) for name in NAMES}
    with ExitStack() as stack:
        sockets = {name: stack.enter_context(s.websocket()) for name, s in sessions.items()}
        for ws in sockets.values():
            ClientModel().read(ws, lambda m: m.badge == 0)
        with publisher.app_context():
            notify_many(list(NAMES), "comment", title="Deploy done")
        pushed = {
            name: recv_until(ws, lambda m: "Deploy done" in m[-1], timeout=10)[-1]
            for name, ws in sockets.items()
        }
    assert_no_one_sees_another({name: greetings(html) for name, html in pushed.items()})
    # A new socket's snapshot renders the items from the same shared stencils.
    snapshots = {}
    for name, session in sessions.items():
        with session.websocket() as ws:
            snapshots[name] = ws.recv(timeout=10)
            assert "Deploy done" in snapshots[name]
    assert_no_one_sees_another({name: greetings(html) for name, html in snapshots.items()})
