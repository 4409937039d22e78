"""Action buttons: the demo's friend_request handler, the helpers under it and the service."""

import re
import threading

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tests.support import CSRF_RE, badge_count
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.models import BrokerEvent, Notification
from tocsin.notifications import queries, service

ACCEPT = 'aria-label="Accept friend request from bob"'


@pytest.fixture
def request_from_bob(app):
    """Publish a friend request from bob to a user; return its id."""

    def request_from_bob(name="alice", **fields):
        fields = {"type": "friend_request", "title": "Let's be friends", "actor": "bob", **fields}
        with app.app_context():
            return service.create(db.session, user_id(name), **fields).id

    return request_from_bob


def stored(app, nid) -> Notification:
    with app.app_context():
        n = db.session.get(Notification, nid)
        db.session.expunge(n)
        return n


def events(app, name="alice") -> list[dict]:
    with app.app_context():
        stmt = sa.select(BrokerEvent.payload).where(BrokerEvent.user_id == user_id(name))
        return list(db.session.scalars(stmt.order_by(BrokerEvent.id)))


def test_a_friend_request_shows_labelled_buttons_that_post_to_the_handler(
    client, alice, request_from_bob
):
    nid = request_from_bob()
    comment = request_from_bob(type="comment", title="Not a request")
    panel = client.get("/notifications/panel").text
    item = re.search(rf'<li id="notification-{nid}".*?</li>', panel, re.S).group(0)
    assert f'<form method="post" action="/friend-requests/{nid}/accept"' in item
    assert f'hx-post="/friend-requests/{nid}/decline"' in item
    assert re.search(rf'<button type="submit"[^>]*{ACCEPT}>Accept</button>', item)
    assert 'aria-label="Decline friend request from bob">Decline</button>' in item
    # Two answers, and the row's own: mark as read, archive, delete.
    assert item.count('name="csrf_token"') == 5
    other = re.search(rf'<li id="notification-{comment}".*?</li>', panel, re.S).group(0)
    assert "tocsin-item-actions" not in other
    # The inbox page has them too: it works without JavaScript.
    assert ACCEPT in client.get("/notifications").text


def test_accept_stores_the_outcome_and_rerenders_the_item(app, alice, request_from_bob):
    nid = request_from_bob()
    request_from_bob(title="Another")
    before = len(events(app))
    response = alice.post(f"/friend-requests/{nid}/accept", htmx=True)
    assert response.status_code == 200
    item = re.search(
        rf'<li id="notification-{nid}" class="tocsin-item"[^>]*'
        r'hx-swap-oob="true">.*?</li>',
        response.text,
        re.S,
    ).group(0)
    assert '<p class="tocsin-item-outcome" data-action="accept">Accepted</p>' in item
    assert "tocsin-action" not in item and "tocsin-item-actions" not in item  # answered
    assert badge_count(response.text) == 1  # answering reads it
    n = stored(app, nid)
    assert (n.action_taken, n.outcome) == ("accept", "Accepted")
    assert n.acted_at is not None and n.read_at is not None
    assert events(app)[before:] == [{"kind": "read", "ids": [nid]}]


def test_decline(app, alice, request_from_bob):
    nid = request_from_bob()
    response = alice.post(f"/friend-requests/{nid}/decline", htmx=True)
    assert response.status_code == 200 and ">Declined</p>" in response.text
    assert stored(app, nid).action_taken == "decline"


def test_answers_need_csrf(app, client, alice, request_from_bob):
    nid = request_from_bob()
    assert client.post(f"/friend-requests/{nid}/accept").status_code == 400
    assert (
        client.post(f"/friend-requests/{nid}/accept", headers={"HX-Request": "true"}).status_code
        == 400
    )
    assert stored(app, nid).acted_at is None
    response = client.post(
        f"/friend-requests/{nid}/accept",
        headers={"X-CSRFToken": alice.csrf(), "HX-Request": "true"},
    )
    assert response.status_code == 200


def test_answers_need_a_login(app, client, request_from_bob):
    nid = request_from_bob()
    token = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post(f"/friend-requests/{nid}/accept", data={"csrf_token": token})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert stored(app, nid).acted_at is None


def test_another_users_request_is_a_404(app, alice, request_from_bob):
    bobs = request_from_bob("bob")
    assert alice.post(f"/friend-requests/{bobs}/accept", htmx=True).status_code == 404
    assert alice.post("/friend-requests/999999/accept", htmx=True).status_code == 404
    assert stored(app, bobs).acted_at is None


@pytest.mark.parametrize("action", ["befriend", "ACCEPT", "pay"])
def test_an_action_the_type_does_not_declare_is_a_400(app, alice, request_from_bob, action):
    nid = request_from_bob()
    response = alice.post(f"/friend-requests/{nid}/{action}", htmx=True)
    assert response.status_code == 400 and "has no action" in response.text
    assert stored(app, nid).acted_at is None


def test_a_type_without_actions_is_a_400(app, alice, request_from_bob):
    nid = request_from_bob(type="comment")
    assert alice.post(f"/friend-requests/{nid}/accept", htmx=True).status_code == 400


def test_answering_twice_is_a_409_and_the_first_answer_stands(app, alice, request_from_bob):
    nid = request_from_bob()
    assert alice.post(f"/friend-requests/{nid}/accept", htmx=True).status_code == 200
    published = len(events(app))
    for action in ("decline", "accept"):
        response = alice.post(f"/friend-requests/{nid}/{action}", htmx=True)
        assert response.status_code == 409 and "Accepted" in response.text
    assert stored(app, nid).action_taken == "accept"
    assert len(events(app)) == published


def test_without_javascript_an_answer_redirects_back(app, client, alice, request_from_bob):
    nid = request_from_bob()
    response = alice.post(
        f"/friend-requests/{nid}/decline", headers={"Referer": "http://localhost/notifications"}
    )
    assert response.status_code == 303 and response.location == "/notifications"
    page = client.get("/notifications").text
    assert ">Declined</p>" in page and ACCEPT not in page


def test_other_tabs_get_the_item_with_its_outcome(app, alice, request_from_bob):
    """The published "read" event re-renders the item, as a push to the user's sockets."""
    nid = request_from_bob()
    alice.post(f"/friend-requests/{nid}/accept", htmx=True)
    with app.test_request_context():
        conn = Connection(user_id("alice"), maxsize=8)
        conn.snapshot_id = nid
        html = push.render(db.session, conn, [{"kind": "read", "ids": [nid]}])
    assert re.search(
        rf'<li id="notification-{nid}" class="tocsin-item"[^>]*hx-swap-oob="true"', html
    )
    assert ">Accepted</p>" in html and ACCEPT not in html and badge_count(html) == 0


def test_the_service_commits_the_callers_changes_with_the_outcome(app, ctx, request_from_bob):
    nid = request_from_bob()
    alice_id = user_id("alice")
    db.session.add(
        Notification(
            user_id=user_id("bob"), type="system", title="You're friends", priority="normal"
        )
    )
    n = service.resolve_action(db.session, alice_id, nid, "accept", "Friends now")
    assert n.outcome == "Friends now" and n.is_unread is False
    assert queries.unread_count(db.session, alice_id) == 0
    titles = db.session.scalars(sa.select(Notification.title).order_by(Notification.id))
    assert list(titles) == ["Let's be friends", "You're friends"]


def test_the_service_rolls_the_callers_changes_back_when_already_answered(
    app, ctx, request_from_bob
):
    nid = request_from_bob()
    alice_id = user_id("alice")
    service.resolve_action(db.session, alice_id, nid, "decline")
    db.session.add(
        Notification(user_id=alice_id, type="system", title="Side effect", priority="normal")
    )
    with pytest.raises(service.ActionAlreadyTaken):
        service.resolve_action(db.session, alice_id, nid, "accept")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    with pytest.raises(service.UnknownAction):
        service.resolve_action(db.session, alice_id, nid, "shrug")
    with pytest.raises(service.NotificationNotFound):
        service.resolve_action(db.session, user_id("bob"), nid, "accept")


def test_answering_a_read_request_does_not_count_it_twice(app, ctx, request_from_bob):
    nid = request_from_bob()
    alice_id = user_id("alice")
    request_from_bob()
    service.mark_read(db.session, alice_id, nid)
    service.resolve_action(db.session, alice_id, nid, "accept")
    assert queries.unread_count(db.session, alice_id) == 1
    assert queries.count_unread_rows(db.session, alice_id) == 1


def test_concurrent_answers_one_wins(app, request_from_bob):
    nid = request_from_bob()
    with app.app_context():
        alice_id = user_id("alice")
    results: list[str] = []
    barrier = threading.Barrier(4)

    def answer(action: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                service.resolve_action(db.session, alice_id, nid, action)
                results.append(action)
            except service.ActionAlreadyTaken:
                results.append("conflict")

    threads = [threading.Thread(target=answer, args=(a,)) for a in ("accept", "decline") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("conflict") == 3
    (winner,) = [r for r in results if r != "conflict"]
    assert stored(app, nid).action_taken == winner
    with app.app_context():
        assert queries.unread_count(db.session, alice_id) == 0
