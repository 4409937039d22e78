"""A grown group's push: the item moved to the top, its toast replaced, bound and badge."""

import re

import pytest
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from app import users
from tests.conftest import user_id
from tocsin import notify
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection


@pytest.fixture
def conn(app):
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        conn = Connection(user_id("alice"), maxsize=8)
        conn.csrf_token = generate_csrf()
        yield conn


def bump_list(message: str) -> str:
    found = re.search(
        r'<ul id="notification-list" hx-swap-oob="afterbegin" data-tocsin-bump>(.*?)</ul>',
        message,
        re.S,
    )
    assert found, message
    return found.group(1)


def test_a_grouped_event_moves_the_item_up_and_replaces_its_toast(conn):
    first = notify("alice", "comment", "Roadmap", actor="bob", group_key="g")
    notify("alice", "comment", "Other")
    conn.snapshot_id = 2**31 - 1  # the page showed everything: a "created" would be dropped
    grown = notify("alice", "comment", "Roadmap", actor="carol", group_key="g")
    message = push.render(db.session, conn, [{"kind": "grouped", "ids": [first.id]}])
    items = bump_list(message)
    assert items.count("<li ") == 1 and f'id="notification-{first.id}"' in items
    assert 'data-group-count="2"' in items and "carol and bob commented" in items
    assert re.search(
        r'<div id="toast-stack" hx-swap-oob="beforeend" data-tocsin-bump>\s*'
        rf'<div id="toast-{first.id}"',
        message,
    )
    assert f'id="notification-up-to" name="up_to" value="{grown.position}"' in message
    assert 'data-count="2"' in message  # the badge: the group counts once


def test_a_quiet_grouped_event_only_replaces_a_toast_shown(conn):
    first = notify("alice", "comment", "Roadmap", group_key="g")
    notify("alice", "comment", "Roadmap", group_key="g")
    event = {"kind": "grouped", "ids": [first.id], "quiet": True}
    message = push.render(db.session, conn, [event])
    assert 'data-tocsin-bump="replace"' in message
    assert message.count(f'id="toast-{first.id}"') == 1
    assert '<div id="toast-stack" hx-swap-oob="beforeend" data-tocsin-bump>' not in message


def test_created_and_grouped_in_one_batch_are_each_rendered_once(conn):
    first = notify("alice", "comment", "Roadmap", group_key="g")
    notify("alice", "comment", "Roadmap", group_key="g")
    new = notify("alice", "comment", "New one")
    events = [{"kind": "grouped", "ids": [first.id]}, {"kind": "created", "ids": [new.id]}]
    message = push.render(db.session, conn, events)
    assert message.count(f'<li id="notification-{first.id}"') == 1
    assert message.count(f'<li id="notification-{new.id}"') == 1
    assert f'id="notification-{first.id}"' in bump_list(message)
    # A row new in this batch that also grew is sent once, as new.
    message = push.render(
        db.session,
        Connection(conn.user_id, 8),
        [{"kind": "created", "ids": [first.id]}, {"kind": "grouped", "ids": [first.id]}],
    )
    assert message.count(f'<li id="notification-{first.id}"') == 1
    assert "data-tocsin-bump" not in message


def test_another_users_group_is_not_rendered(conn):
    bobs = notify("bob", "comment", "secret", group_key="g")
    notify("bob", "comment", "secret", group_key="g")
    message = push.render(db.session, conn, [{"kind": "grouped", "ids": [bobs.id]}])
    assert "secret" not in message and "data-tocsin-bump" not in message
