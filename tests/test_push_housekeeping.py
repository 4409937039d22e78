"""What a socket is sent for "removed" and "restored": rows and their toasts out, rows
back (for tocsin.js to place by data-position), the badge re-read; as the database says
now, so a batch holding an archive and its undo shows the row."""

import re

import pytest
from flask_login import login_user

from app import users
from tests.conftest import user_id
from tests.support import badge_count
from tocsin import notify_many
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.models import Notification
from tocsin.notifications import housekeeping, undo

SHOWN_RE = re.compile(r'<li id="notification-(\d+)" class="tocsin-item')
DELETE_RE = re.compile(r'<(?:li|div) id="((?:notification|toast)-\d+)" hx-swap-oob="delete">')


def item_ids(message: str) -> list[int]:
    """The rows a message shows (not the ones it deletes)."""
    return [int(i) for i in SHOWN_RE.findall(message)]


@pytest.fixture
def alices_socket(app):
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        conn = Connection(user_id("alice"), maxsize=8)
        conn.csrf_token = "socket-token"
        yield conn


def publish(count: int) -> list[int]:
    return [notify_many(["alice"], "comment", title=f"n{i}")[0] for i in range(count)]


def test_removed_rows_and_their_toasts_go_and_the_badge_is_reread(alices_socket):
    a, b, c = publish(3)
    housekeeping.archive(db.session, user_id("alice"), [a])
    housekeeping.delete(db.session, user_id("alice"), [b])
    message = push.render(db.session, alices_socket, [{"kind": "removed", "ids": [a, b]}])
    assert sorted(DELETE_RE.findall(message)) == sorted(
        [f"notification-{a}", f"toast-{a}", f"notification-{b}", f"toast-{b}"]
    )
    assert item_ids(message) == [] and badge_count(message) == 1
    assert "tocsin-toast-undo" not in message  # the undo toast is the acting tab's alone


def test_restored_rows_come_back_with_their_position_and_the_sockets_token(alices_socket):
    ids = publish(3)
    alice = user_id("alice")
    token = housekeeping.delete(db.session, alice, ids[:2]).offer.token
    undo.revert(db.session, alice, token)
    message = push.render(db.session, alices_socket, [{"kind": "restored", "ids": ids[:2]}])
    assert '<ul id="notification-list" hx-swap-oob="beforeend" data-tocsin-restore>' in message
    assert item_ids(message) == [ids[1], ids[0]]  # newest first
    for nid in ids[:2]:
        assert f'data-position="{nid}"' in message
    assert 'value="socket-token"' in message and badge_count(message) == 3
    assert DELETE_RE.findall(message) == []


def test_an_archive_and_its_undo_in_one_batch_leave_the_row_shown(alices_socket):
    (nid,) = publish(1)
    alice = user_id("alice")
    token = housekeeping.archive(db.session, alice, [nid]).offer.token
    undo.revert(db.session, alice, token)
    events = [{"kind": "removed", "ids": [nid]}, {"kind": "restored", "ids": [nid]}]
    message = push.render(db.session, alices_socket, events)
    assert item_ids(message) == [nid] and DELETE_RE.findall(message) == []


def test_a_batch_with_read_events_carries_one_badge(alices_socket):
    a, b = publish(2)
    alice = user_id("alice")
    housekeeping.mark_read(db.session, alice, [a])
    housekeeping.archive(db.session, alice, [b])
    events = [{"kind": "read", "ids": [a]}, {"kind": "removed", "ids": [b]}]
    message = push.render(db.session, alices_socket, events)
    assert message.count('id="notification-badge"') == 1 and badge_count(message) == 0


def test_a_grown_groups_position_is_its_sort_id_in_the_restored_row(alices_socket):
    a, b = publish(2)
    db.session.get(Notification, a).sort_id = b + 50
    db.session.commit()
    message = push.render(db.session, alices_socket, [{"kind": "restored", "ids": [a]}])
    assert f'data-id="{a}" data-position="{b + 50}"' in message


def test_snapshot_items_from_stencils_carry_their_own_position(alices_socket):
    ids = publish(3)
    snapshot = push.snapshot(db.session, alices_socket)
    for nid in ids:
        assert f'data-id="{nid}" data-position="{nid}"' in snapshot
