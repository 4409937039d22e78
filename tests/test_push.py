"""The connect snapshot's toasts for what arrived between the page's render and the socket."""

import re

import pytest
from flask_login import login_user

from app import users
from tests.conftest import user_id
from tocsin import notify_many
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.notifications import queries, service

TOAST_RE = re.compile(r'id="toast-(\d+)"')


@pytest.fixture
def alices_socket(app):
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        conn = Connection(user_id("alice"), maxsize=8)
        conn.csrf_token = "token"
        yield conn


def publish(count: int, **fields) -> list[int]:
    return [notify_many(["alice"], "comment", title=f"n{i}", **fields)[0] for i in range(count)]


def test_without_since_the_snapshot_toasts_nothing(alices_socket):
    publish(2)
    assert TOAST_RE.findall(push.snapshot(db.session, alices_socket)) == []


def test_a_few_unread_since_the_render_get_a_toast_each_oldest_first(alices_socket):
    (seen,) = publish(1)
    ids = publish(3)
    (low,) = publish(1, priority="low")  # badge only, as when pushed
    snapshot = push.snapshot(db.session, alices_socket, since=seen)
    assert [int(i) for i in TOAST_RE.findall(snapshot)] == ids
    assert str(low) not in TOAST_RE.findall(snapshot)
    assert 'data-count="5"' in snapshot and alices_socket.snapshot_id == low


def test_many_become_one_toast_that_says_how_many(alices_socket):
    ids = publish(29) + publish(1, priority="urgent")
    snapshot = push.snapshot(db.session, alices_socket, since=0)
    assert TOAST_RE.findall(snapshot) == []
    assert snapshot.count('class="tocsin-toast ') == 1
    assert f'id="toast-new-{ids[-1]}"' in snapshot and 'data-count="30"' in snapshot
    assert "30 new notifications" in snapshot
    assert 'role="alert"' in snapshot and 'data-timeout="0"' in snapshot  # urgent among them


def test_read_ones_and_ones_after_the_snapshot_are_not_toasted(alices_socket):
    first, second = publish(2)
    service.mark_read(db.session, user_id("alice"), first)
    snapshot = push.snapshot(db.session, alices_socket, since=0)
    assert TOAST_RE.findall(snapshot) == [str(second)]
    assert queries.unread_count(db.session, user_id("alice")) == 1


@pytest.mark.parametrize("since", ["x", "-1", "1.5", "99999999999", "²"])
def test_a_malformed_since_is_refused_before_the_upgrade(client, auth, since):
    auth.login()
    upgrade = {"Origin": "http://localhost", "Upgrade": "websocket", "Connection": "Upgrade"}
    response = client.get(f"/notifications/ws?since={since}", headers=upgrade)
    assert response.status_code == 400
    assert b"since must be an integer" in response.data


def test_the_bell_puts_the_newest_id_in_the_socket_url(app, client, auth):
    auth.login()
    assert 'ws-connect="/notifications/ws?since=0"' in client.get("/").text
    with app.app_context():
        (nid,) = notify_many(["alice"], "comment", title="x")
    assert f'ws-connect="/notifications/ws?since={nid}"' in client.get("/").text


# After a reconnect (resumed=1) what came meanwhile is one "while you were offline" toast.
def test_a_reconnect_says_how_many_came_while_offline_in_one_toast(alices_socket):
    (seen,) = publish(1)
    ids = publish(2)
    snapshot = push.snapshot(db.session, alices_socket, since=seen, resumed=True)
    assert TOAST_RE.findall(snapshot) == []
    assert snapshot.count('class="tocsin-toast ') == 1
    assert f'id="toast-new-{ids[-1]}"' in snapshot and "data-offline" in snapshot
    assert "2 new notifications while you were offline" in snapshot


def test_one_missed_offline_is_said_in_the_singular(alices_socket):
    (seen,) = publish(1)
    publish(1)
    snapshot = push.snapshot(db.session, alices_socket, since=seen, resumed=True)
    assert "1 new notification while you were offline" in snapshot


def test_nothing_missed_offline_is_no_toast(alices_socket):
    (seen,) = publish(1)
    snapshot = push.snapshot(db.session, alices_socket, since=seen, resumed=True)
    assert 'class="tocsin-toast' not in snapshot


def test_the_first_snapshot_toasts_each_of_a_few_and_says_nothing_of_offline(alices_socket):
    (seen,) = publish(1)
    ids = publish(2)
    snapshot = push.snapshot(db.session, alices_socket, since=seen)
    assert [int(i) for i in TOAST_RE.findall(snapshot)] == ids
    assert "offline" not in snapshot


@pytest.mark.parametrize(
    ("query", "resumed"), [("", False), ("&resumed=1", True), ("&resumed=x", False)]
)
def test_resumed_is_read_from_the_socket_url(app, query, resumed):
    with app.test_request_context(f"/notifications/ws?since=3{query}") as ctx:
        assert push.resumed_arg(ctx.request.args) is resumed
