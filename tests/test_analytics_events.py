"""Where each analytics event is counted: a publish's "sent", a socket's and a worker's
"delivered", and the inbox's read, archived, acted, clicked and dismissed."""

import sqlalchemy as sa
from flask_wtf.csrf import generate_csrf

from tests import queue_support
from tests.conftest import user_id
from tests.test_queue_deliveries import drain
from tocsin import notify_many, state
from tocsin.analytics import flush
from tocsin.channels import email_message
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.models import AnalyticsDaily, Notification
from tocsin.notifications import pipeline
from tocsin.notifications.validation import clean


def counts(app) -> dict[tuple[str, str, str], int]:
    """Flush the app's recorder; return every (type, channel, event) count."""
    with app.app_context():
        flush.flush(db.session, state.of(app).analytics)
        rows = db.session.execute(
            sa.select(
                AnalyticsDaily.type,
                AnalyticsDaily.channel,
                AnalyticsDaily.event,
                AnalyticsDaily.count,
            )
        )
        return {(t, c, e): n for t, c, e, n in rows}


def test_a_publish_counts_sent_once_per_new_row_after_the_commit(app, ctx):
    notify_many(["alice", "bob"], "comment", title="Hi")
    notify_many(["alice"], "mention", title="You")
    # Grouped into an open row: not sent again.
    notify_many(["alice"], "comment", title="Grouped", group_key="g")
    notify_many(["alice"], "comment", title="Grouped", group_key="g")
    assert counts(app) == {("comment", "live", "sent"): 3, ("mention", "live", "sent"): 1}


def test_a_rolled_back_publish_counts_nothing(app, ctx):
    pipeline.publish(db.session, ["alice"], clean(type="comment", title="Never"))
    db.session.rollback()
    assert counts(app) == {}


def socket(name: str) -> Connection:
    conn = Connection(user_id(name), maxsize=8)
    conn.csrf_token = generate_csrf()
    return conn


def test_live_delivered_counts_a_row_once_however_many_tabs_render_it(app):
    with app.test_request_context("/notifications/ws"):
        tabs = [socket("alice"), socket("alice")]
        (nid,) = notify_many(["alice"], "comment", title="Two tabs")
        for tab in tabs:
            assert f"notification-{nid}" in push.render(
                db.session, tab, [{"kind": "created", "ids": [nid]}]
            )
        (quiet,) = notify_many(["alice"], "comment", title="Ordinary path")
        push.render(
            db.session,
            tabs[0],
            [{"kind": "created", "ids": [quiet]}, {"kind": "read", "ids": [nid]}],
        )
    assert counts(app)[("comment", "live", "delivered")] == 2


def test_queued_channels_count_sent_when_staged_and_delivered_when_accepted(app, ctx, tmp_path):
    queue_support.install(app, tmp_path / "attempts.log")
    notify_many(["alice"], "queued_test", title="Build failed")
    channel = queue_support.NAME
    assert counts(app) == {("queued_test", "live", "sent"): 1, ("queued_test", channel, "sent"): 1}
    assert drain(app) == 1
    assert counts(app)[("queued_test", channel, "delivered")] == 1


def test_read_archive_and_mark_all_read_are_counted(app, alice, notify):
    first, second, third = (notify(title=f"n{i}") for i in range(3))
    alice.post(f"/notifications/{first}/read")
    alice.post(f"/notifications/{first}/read")  # read already: not again
    alice.post(f"/notifications/{second}/archive")  # archiving an unread row reads it
    alice.post("/notifications/read-all", {"up_to": str(third)})
    found = counts(app)
    assert found[("comment", "live", "read")] == 3
    assert found[("comment", "live", "archived")] == 1


def test_an_action_counts_acted_and_read(app, alice):
    with app.app_context():
        (nid,) = notify_many(["alice"], "friend_request", title="Friends?", actor="bob")
    assert alice.post(f"/friend-requests/{nid}/accept", htmx=True).status_code == 200
    found = counts(app)
    assert found[("friend_request", "live", "acted")] == 1
    assert found[("friend_request", "live", "read")] == 1


def test_following_a_link_counts_clicked_and_reading_alone_does_not(app, alice, notify):
    nid = notify(url="/somewhere")
    other = notify()
    alice.post(f"/notifications/{nid}/read", {"follow": "1"}, htmx=True)
    alice.post(f"/notifications/{other}/read")
    assert counts(app)[("comment", "live", "clicked")] == 1


def test_a_push_opened_counts_clicked_on_push(app, alice, notify):
    nid = notify(url="/somewhere")
    assert alice.post(f"/notifications/push/open/{nid}").status_code == 303
    assert counts(app)[("comment", "push", "clicked")] == 1


def test_a_dismissed_toast_is_counted_once_and_checked(app, alice, notify):
    nid = notify()
    with app.app_context():
        (bobs,) = notify_many(["bob"], "comment", title="Bob's")
    url = "/notifications/analytics/dismissed"
    assert alice.post(url, {"id": str(nid), "beacon": "1"}).status_code == 204
    assert alice.post(url, {"id": str(nid)}).status_code == 303  # a plain form: back
    assert alice.post(url, {"id": str(bobs), "beacon": "1"}).status_code == 404
    assert alice.post(url, {"id": "x", "beacon": "1"}).status_code == 400
    assert alice.post(url, {"beacon": "1"}).status_code == 400
    many = [str(nid)] * 21
    assert alice.client.post(url, data={"id": many, "csrf_token": alice.csrf()}).status_code == 400
    assert alice.client.post(url, data={"id": str(nid)}).status_code == 400  # no CSRF token
    assert counts(app)[("comment", "live", "dismissed")] == 1


def test_an_emails_link_lands_on_the_open_page_and_counts_clicked_on_email(app, alice, notify):
    nid = notify(url="/somewhere")
    with app.app_context():
        message = email_message.for_notification(db.session.get(Notification, nid), "a@x.test")
    link = f"/notifications/push/open/{nid}?via=email"
    assert link in message.get_body(("plain",)).get_content()
    page = alice.client.get(link).text
    assert '<input type="hidden" name="via" value="email">' in page
    response = alice.post(f"/notifications/push/open/{nid}", {"via": "email"})
    assert response.status_code == 303 and response.headers["Location"] == "/somewhere"
    alice.post(f"/notifications/push/open/{nid}", {"via": "<b>"})  # anything else: push
    found = counts(app)
    assert found[("comment", "email", "clicked")] == 1
    assert found[("comment", "push", "clicked")] == 1
