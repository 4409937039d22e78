"""Housekeeping routes: a row's buttons, the bulk form and undo, with htmx and as plain
forms (303 back, the undo offered on the next page); CSRF, 404s and 400s."""

import re

import pytest

from tests.conftest import user_id
from tests.support import badge_count, item_ids
from tocsin.extensions import db
from tocsin.models import Notification, Undo, utcnow
from tocsin.notifications import housekeeping, queries, undo

UNDO_TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


def state(app, nid):
    """(read, archived) of a row, or None once deleted."""
    with app.app_context():
        n = db.session.get(Notification, nid)
        return None if n is None else (n.read_at is not None, n.archived_at is not None)


def unread(app, name="alice"):
    with app.app_context():
        uid = user_id(name)
        count = queries.unread_count(db.session, uid)
        assert count == queries.count_unread_rows(db.session, uid)
        return count


def test_items_carry_their_buttons_named_with_the_title(client, alice, notify):
    nid = notify(title="Roadmap & plans")
    page = client.get("/notifications").text
    for path, label in (
        ("read", "Mark as read"),
        ("archive", "Archive"),
        ("delete", "Delete"),
    ):
        assert f'action="/notifications/{nid}/{path}"' in page
        assert f'aria-label="{label}: Roadmap &amp; plans"' in page
    alice.post(f"/notifications/{nid}/read")
    page = client.get("/notifications").text
    assert f'action="/notifications/{nid}/unread"' in page
    assert f'action="/notifications/{nid}/read"' not in page


def test_htmx_archive_removes_the_row_updates_the_badge_and_offers_undo(app, alice, notify):
    keep, gone = notify(), notify(title="Old news")
    response = alice.post(f"/notifications/{gone}/archive", htmx=True)
    assert response.status_code == 200
    text = response.text
    assert f'<li id="notification-{gone}" hx-swap-oob="delete">' in text
    assert f'<div id="toast-{gone}" hx-swap-oob="delete">' in text
    assert badge_count(text) == 1 and unread(app) == 1
    assert 'class="tocsin-toast tocsin-toast-undo"' in text and "Archived 1 notification." in text
    assert 'data-timeout="5000"' in text and 'role="status"' in text
    token = UNDO_TOKEN_RE.search(text).group(1)
    undone = alice.post("/notifications/undo", {"token": token}, htmx=True)
    assert undone.status_code == 200 and "data-tocsin-restore" in undone.text
    assert item_ids(undone.text) == [gone] and badge_count(undone.text) == 2
    assert state(app, gone) == (False, False) and state(app, keep) == (False, False)
    assert alice.post("/notifications/undo", {"token": token}, htmx=True).status_code == 409


def test_htmx_unread_rerenders_the_row_in_place(app, alice, notify):
    nid = notify()
    alice.post(f"/notifications/{nid}/read")
    response = alice.post(f"/notifications/{nid}/unread", htmx=True)
    assert re.search(rf'<li id="notification-{nid}" class="tocsin-item is-unread"', response.text)
    assert 'hx-swap-oob="true"' in response.text and badge_count(response.text) == 1
    assert "tocsin-toast-undo" not in response.text


def test_plain_forms_redirect_back_and_the_next_page_offers_undo(app, client, alice, notify):
    nid = notify()
    response = alice.post(f"/notifications/{nid}/delete", {"next": "/notifications"})
    assert response.status_code == 303 and response.location == "/notifications"
    assert state(app, nid) is None
    page = client.get("/notifications").text
    assert "Deleted 1 notification." in page
    token = UNDO_TOKEN_RE.search(page).group(1)
    assert "tocsin-toast-undo" not in client.get("/notifications").text  # shown once
    undone = alice.post("/notifications/undo", {"token": token, "next": "/notifications"})
    assert undone.status_code == 303 and state(app, nid) == (False, False)
    assert f'id="notification-{nid}"' in client.get("/notifications").text


@pytest.mark.parametrize("path", ["unread", "archive", "unarchive", "delete"])
def test_another_users_row_is_a_404(app, alice, notify, path):
    bobs = notify("bob")
    assert alice.post(f"/notifications/{bobs}/{path}", htmx=True).status_code == 404
    assert alice.post(f"/notifications/{bobs}/{path}").status_code == 404
    assert alice.post(f"/notifications/2147483648/{path}").status_code == 404
    assert state(app, bobs) == (False, False) and unread(app, "bob") == 1


@pytest.mark.parametrize(
    "path", ["1/unread", "1/archive", "1/unarchive", "1/delete", "bulk", "undo"]
)
def test_every_route_needs_csrf(app, client, alice, notify, path):
    notify()
    data = {"action": "archive", "ids": "1", "token": "x"}
    response = client.post(f"/notifications/{path}", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 400 and unread(app) == 1


def test_bulk_applies_to_the_users_rows_and_ignores_others(app, alice, notify):
    mine = [notify(title=f"n{i}") for i in range(3)]
    bobs = notify("bob")
    response = alice.post(
        "/notifications/bulk", {"action": "archive", "ids": [*mine[:2], bobs]}, htmx=True
    )
    assert response.status_code == 200 and "Archived 2 notifications." in response.text
    assert [state(app, i) for i in mine] == [(True, True), (True, True), (False, False)]
    assert state(app, bobs) == (False, False) and unread(app) == 1
    response = alice.post("/notifications/bulk", {"action": "unread", "ids": mine}, htmx=True)
    assert response.status_code == 200 and unread(app) == 3
    assert response.text.count("data-tocsin-restore") == 1
    response = alice.post("/notifications/bulk", {"action": "read", "ids": mine}, htmx=True)
    assert "Marked 3 notifications as read." in response.text and unread(app) == 0
    response = alice.post("/notifications/bulk", {"action": "delete", "ids": mine})
    assert response.status_code == 303 and all(state(app, i) is None for i in mine)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "archive"}, "at least one"),
        ({"action": "shred", "ids": "1"}, "action must be one of"),
        ({"ids": "1"}, "action must be one of"),
        ({"action": "read", "ids": ["1", "x"]}, "ids must be integers"),
        ({"action": "read", "ids": "-1"}, "ids must be integers"),
        ({"action": "read", "ids": "99999999999"}, "ids must be integers"),
        ({"action": "read", "ids": [str(i) for i in range(housekeeping.MAX_IDS + 1)]}, "at most"),
    ],
)
def test_bulk_refuses_bad_input(app, alice, notify, data, message):
    notify()
    response = alice.post("/notifications/bulk", data)
    assert response.status_code == 400 and message in response.text
    assert unread(app) == 1


def test_bulk_takes_the_cap(app, alice, notify):
    nid = notify()
    ids = [nid, *range(10**6, 10**6 + housekeeping.MAX_IDS - 1)]
    assert alice.post("/notifications/bulk", {"action": "read", "ids": ids}).status_code == 303
    assert unread(app) == 0


def test_read_all_offers_undo(app, alice, notify):
    ids = [notify(), notify()]
    response = alice.post("/notifications/read-all", {"up_to": ids[-1]}, htmx=True)
    assert "Marked 2 notifications as read." in response.text and unread(app) == 0
    token = UNDO_TOKEN_RE.search(response.text).group(1)
    undone = alice.post("/notifications/undo", {"token": token}, htmx=True)
    assert sorted(item_ids(undone.text)) == ids and badge_count(undone.text) == 2
    assert unread(app) == 2


def test_undo_answers_why_not(app, client, alice, auth, notify):
    nid = notify()
    response = alice.post(f"/notifications/{nid}/archive", htmx=True)
    token = UNDO_TOKEN_RE.search(response.text).group(1)
    assert alice.post("/notifications/undo", {}).status_code == 400
    assert alice.post("/notifications/undo", {"token": "nope"}).status_code == 404
    assert alice.post("/notifications/undo", {"token": "x" * 500}).status_code == 404
    with app.app_context():
        db.session.get(Undo, token).expires_at = utcnow() - undo.GRACE * 2
        db.session.commit()
    response = alice.post("/notifications/undo", {"token": token})
    assert response.status_code == 410 and "Too late" in response.text
    assert state(app, nid) == (True, True)
    client.post("/logout", data={"csrf_token": alice.csrf()})
    auth.login("bob")
    assert auth.post("/notifications/undo", {"token": token}).status_code == 404


def test_a_pending_undo_that_expired_before_the_next_page_is_not_shown(client, alice, notify):
    nid = notify()
    alice.post(f"/notifications/{nid}/archive")
    with client.session_transaction() as session:
        kept = session["tocsin_undo"]
        kept["expires_at"] = (utcnow() - undo.GRACE * 2).isoformat()
        session["tocsin_undo"] = kept
    page = client.get("/notifications").text
    assert "tocsin-toast-undo" not in page
    with client.session_transaction() as session:
        assert "tocsin_undo" not in session
