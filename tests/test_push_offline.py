"""After a reconnect the snapshot tells what came meanwhile in one toast (live/push.py)."""

import re

import pytest
from flask_login import login_user

from app import users
from tests.conftest import user_id
from tocsin import notify_many
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection

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
