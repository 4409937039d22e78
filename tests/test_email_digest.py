"""The email digest: one email on the user's schedule, each notification in one digest."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import user_id
from tests.email_support import parts
from tocsin import state
from tocsin.channels import digest
from tocsin.extensions import db
from tocsin.models import Delivery, Preference
from tocsin.notifications import preferences, service
from tocsin.notifications.preferences import Preferences

#: 10:20 UTC on a weekday: the next top of the hour is 11:00.
START = datetime(2026, 3, 10, 10, 20, tzinfo=UTC)


@pytest.fixture
def digest_app(app, smtp):
    app.config.update(TOCSIN_SMTP_URL=smtp.url, TOCSIN_BASE_URL="https://tocsin.example")
    with app.app_context(), at(START - timedelta(minutes=5)):
        alice = user_id("alice")
        state.of(app).directory.set_email(db.session, alice, "alice@example.com")
        row = preferences.row_for_update(db.session, alice)
        row.digest, row.timezone = "hourly", "UTC"
        db.session.commit()
    return app


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def rows_by_notification() -> dict[int, Delivery]:
    stmt = sa.select(Delivery).where(Delivery.channel == "email")
    return {d.notification_id: d for d in db.session.scalars(stmt)}


def test_an_hourly_digest_lists_the_unread_once(digest_app, smtp):
    with digest_app.app_context(), at(START):
        alice = user_id("alice")
        order = service.create(db.session, alice, type="order", title="Order shipped").id
        paid = service.create(db.session, alice, type="payment", title="Invoice <paid>").id
        read = service.create(db.session, alice, type="order", title="Seen already").id
        service.mark_read(db.session, alice, read)
        assert set(rows_by_notification()) == {paid}  # normal priority waits for the digest
        assert digest.run_due(db.session) == 0  # 10:20: not due, nothing sent yet
    with digest_app.app_context(), at(START + timedelta(minutes=41)):
        assert digest.run_due(db.session) == 1
        assert digest.run_due(db.session) == 0  # a second worker's run: nothing more
        rows = rows_by_notification()
        assert rows[order].state == "sent"
        assert (rows[paid].state, rows[paid].last_error) == ("skipped", "in the digest")
        assert read not in rows
    (message,) = smtp.inbox.messages
    assert message["Subject"] == "2 unread notifications"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert "Order shipped" in text and "Invoice <paid>" in text and "Seen already" not in text
    assert "Invoice &lt;paid&gt;" in html
    with digest_app.app_context(), at(START + timedelta(hours=1, minutes=41)):
        assert digest.run_due(db.session) == 0  # nothing new: no email
    assert len(smtp.inbox.messages) == 1


def test_two_workers_claim_one_digest(digest_app, smtp):
    with digest_app.app_context(), at(START):
        service.create(db.session, user_id("alice"), type="order", title="Order shipped")
    with digest_app.app_context(), at(START + timedelta(minutes=41)):
        alice = user_id("alice")
        prefs = preferences.load(db.session, alice)
        now = START + timedelta(minutes=41)
        assert digest.send(db.session, alice, prefs, None, now) is True
        assert digest.send(db.session, alice, prefs, None, now) is False
    assert len(smtp.inbox.messages) == 1


def test_a_failed_digest_lets_go_and_is_sent_at_the_next_run(digest_app, smtp):
    smtp.inbox.refuse = "451 4.3.0 try later"
    with digest_app.app_context(), at(START):
        nid = service.create(db.session, user_id("alice"), type="order", title="Order").id
    with digest_app.app_context(), at(START + timedelta(minutes=41)):
        assert digest.run_due(db.session) == 0
        assert rows_by_notification() == {}
        assert db.session.get(Preference, user_id("alice")).digest_sent_at is None
        smtp.inbox.refuse = None
        assert digest.run_due(db.session) == 1
        assert rows_by_notification()[nid].state == "sent"
    assert len(smtp.inbox.messages) == 1


def test_muted_types_are_left_out_and_quiet_hours_wait(digest_app, smtp):
    with digest_app.app_context(), at(START):
        alice = user_id("alice")
        row = preferences.row_for_update(db.session, alice)
        row.channels = {"order": {"email": False}}
        row.quiet_start, row.quiet_end = "10:50", "11:30"
        db.session.commit()
        service.create(db.session, alice, type="order", title="Muted order")
        service.create(db.session, alice, type="security", title="New login")  # critical
    with digest_app.app_context(), at(START + timedelta(minutes=35)):
        service.create(db.session, alice, type="payment", title="Paid in quiet hours")
    with digest_app.app_context(), at(START + timedelta(minutes=41)):
        assert digest.run_due(db.session) == 0  # 11:01, in quiet hours: waits
    with digest_app.app_context(), at(START + timedelta(minutes=71)):
        assert digest.run_due(db.session) == 1  # 11:31: the 11:00 digest goes out
    (message,) = smtp.inbox.messages
    text, _ = parts(message)
    assert "New login" in text and "Paid in quiet hours" in text and "Muted order" not in text


@pytest.mark.parametrize(
    ("digest_", "now", "expected"),
    [
        ("hourly", datetime(2026, 3, 10, 10, 20, tzinfo=UTC), datetime(2026, 3, 10, 10, 0)),
        ("daily", datetime(2026, 3, 10, 6, 59, tzinfo=UTC), datetime(2026, 3, 9, 7, 0)),
        ("daily", datetime(2026, 3, 10, 7, 0, tzinfo=UTC), datetime(2026, 3, 10, 7, 0)),
        # Spring forward in Berlin (29 March 2026): 08:00 local is 06:00 UTC from then on.
        ("daily", datetime(2026, 3, 29, 6, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0)),
        ("off", datetime(2026, 3, 10, 6, 0, tzinfo=UTC), None),
    ],
)
def test_slots_are_on_the_users_wall_clock(digest_, now, expected):
    prefs = Preferences(timezone="Europe/Berlin", digest=digest_)
    slot = digest.latest_slot(prefs, now, time(8, 0))
    assert slot == (expected.replace(tzinfo=UTC) if expected else None)


def test_two_workers_at_once_send_one_digest(digest_app, smtp):
    with digest_app.app_context(), at(START):
        for i in range(5):
            service.create(db.session, user_id("alice"), type="order", title=f"Order {i}")
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def worker() -> None:
        with digest_app.app_context():
            barrier.wait()
            sent.append(digest.run_due(db.session, START + timedelta(minutes=41)))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with at(START + timedelta(minutes=41)):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(sent) == [0, 1]
    (message,) = smtp.inbox.messages
    assert message["Subject"] == "5 unread notifications"
    with digest_app.app_context():
        assert [d.state for d in rows_by_notification().values()] == ["sent"] * 5
