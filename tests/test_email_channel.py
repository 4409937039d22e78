"""The email channel against a real SMTP server: after the delay if unread, once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import user_id
from tests.email_support import SmtpServer, free_port, parts
from tocsin import state
from tocsin.channels import deliveries, email_message, mailer
from tocsin.extensions import db
from tocsin.models import Delivery, utcnow
from tocsin.notifications import preferences, service

BASE = "https://tocsin.example"


@pytest.fixture
def mail_app(app, smtp):
    app.config.update(TOCSIN_SMTP_URL=smtp.url, TOCSIN_BASE_URL=BASE, TOCSIN_RETRY_BASE=30)
    with app.app_context():
        state.of(app).directory.set_email(db.session, user_id("alice"), "alice@example.com")
        db.session.commit()
    return app


def quiet_around_now() -> tuple[str, str]:
    """Quiet hours from an hour ago to three hours ahead (UTC): the delay falls inside."""
    now = utcnow()
    return f"{now - timedelta(hours=1):%H:%M}", f"{now + timedelta(hours=3):%H:%M}"


def email_rows():
    return db.session.scalars(sa.select(Delivery).where(Delivery.channel == "email")).all()


def run_due(later: timedelta):
    """Run every email delivery as a worker would `later` from now; return the outcomes."""
    with time_machine.travel(utcnow() + later, tick=False):
        return [deliveries.run(db.session, row.id) for row in email_rows()]


def test_an_unread_notification_is_emailed_once_after_its_delay(mail_app, smtp, notify):
    nid = notify(type="payment", title="Invoice paid", body="Thanks", url="/orders/7")
    with mail_app.app_context():
        (row,) = email_rows()
        assert row.notification_id == nid and row.state == "queued"
        assert run_due(timedelta(seconds=60)) == [None]  # not due yet: nothing sent
        assert smtp.inbox.messages == []
        assert [d.state for d in run_due(timedelta(seconds=901))] == ["sent"]
        assert run_due(timedelta(seconds=2000)) == [None]  # sent once, never again
    (message,) = smtp.inbox.messages
    assert message["Subject"] == "Invoice paid"
    assert message["To"] == "alice@example.com"
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{BASE}/notifications/unsubscribe/") and unsubscribe[-1] == ">"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    # The link lands on the open page (read, clicked counted: docs/analytics.md), then /orders/7.
    landing = f"{BASE}/notifications/push/open/{nid}?via=email"
    assert "Invoice paid" in text and "Thanks" in text and landing in text
    assert f'href="{landing}"' in html
    assert unsubscribe[1:-1] in text


def test_a_notification_read_before_its_delay_is_not_emailed(mail_app, smtp, notify):
    nid = notify(type="payment", title="Invoice paid")
    with mail_app.app_context():
        service.mark_read(db.session, user_id("alice"), nid)
        assert [d.state for d in run_due(timedelta(seconds=901))] == ["skipped"]
    assert smtp.inbox.messages == []


def test_no_row_for_a_user_without_an_address(mail_app, notify):
    notify("bob", type="payment", title="Invoice paid")
    with mail_app.app_context():
        assert email_rows() == []


def test_markup_in_a_title_stays_text(mail_app, smtp, notify):
    notify(type="payment", title="<script>alert(1)</script> & co")
    with mail_app.app_context():
        run_due(timedelta(seconds=901))
    (message,) = smtp.inbox.messages
    text, html = parts(message)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<script>alert(1)</script> & co" in text
    assert message["Subject"] == "<script>alert(1)</script> & co"


def test_smtp_down_then_up_delivers_exactly_once(mail_app, notify):
    port = free_port()
    mail_app.config["TOCSIN_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    notify(type="payment", title="Invoice paid")
    with mail_app.app_context():
        (failed,) = run_due(timedelta(seconds=901))
        assert failed.state == "failed"
        (row,) = email_rows()
        assert row.attempts == 1 and "unreachable" in row.last_error
        server = SmtpServer(port).start()
        try:
            assert [d.state for d in run_due(timedelta(hours=2))] == ["sent"]
            assert run_due(timedelta(hours=3)) == [None]
        finally:
            server.stop()
    assert len(server.inbox.messages) == 1


def test_a_permanent_refusal_is_dead_after_one_try(mail_app, smtp, notify):
    smtp.inbox.refuse = "550 5.1.1 No such mailbox"
    notify(type="payment", title="Invoice paid")
    with mail_app.app_context():
        assert [d.state for d in run_due(timedelta(seconds=901))] == ["dead"]
        (row,) = email_rows()
        assert row.attempts == 1 and row.last_error.startswith("SMTP 550")
        assert run_due(timedelta(hours=5)) == [None]


def test_a_type_muted_after_the_publish_is_skipped(mail_app, smtp, notify, alice):
    notify(type="payment", title="Invoice paid")
    with mail_app.app_context():
        token = email_message.unsubscribe.token(user_id("alice"), "payment")
    mail_app.test_client().post(f"/notifications/unsubscribe/{token}")
    with mail_app.app_context():
        (done,) = run_due(timedelta(seconds=901))
        assert done.state == "skipped"
        assert email_rows()[0].last_error == "muted"
    assert smtp.inbox.messages == []


def test_quiet_hours_at_the_due_time_defer_the_email_to_their_end(mail_app, smtp, notify):
    notify(type="payment", title="Invoice paid")
    with mail_app.app_context():
        row = preferences.row_for_update(db.session, user_id("alice"))
        row.timezone, row.quiet_start, row.quiet_end = "UTC", *quiet_around_now()
        db.session.commit()
        due = utcnow() + timedelta(seconds=901)
        (held,) = run_due(timedelta(seconds=901))
        assert held.state == "queued" and held.due_at > due  # deferred to their end
        (row,) = email_rows()
        assert row.attempts == 0, "waiting for quiet hours to end uses no attempt"
        assert row.due_at == held.due_at and row.last_error.startswith("deferred until")
    assert smtp.inbox.messages == []


def test_quiet_hours_at_the_publish_stage_no_email(mail_app, notify):
    with mail_app.app_context():
        row = preferences.row_for_update(db.session, user_id("alice"))
        row.timezone, row.quiet_start, row.quiet_end = "UTC", *quiet_around_now()
        db.session.commit()
    notify(type="payment", title="Invoice paid")  # held by the policy: the digest's, not ours
    with mail_app.app_context():
        assert email_rows() == []


def test_without_an_smtp_url_emails_go_to_the_instance_folder(mail_app, notify, tmp_path):
    mail_app.config["TOCSIN_SMTP_URL"] = None
    notify(type="payment", title="Invoice paid")
    with mail_app.app_context():
        (done,) = run_due(timedelta(seconds=901))
        (row,) = email_rows()
    assert done.state == "sent"
    written = (tmp_path / "mail" / f"delivery-{row.id}.eml").read_bytes()
    assert b"Subject: Invoice paid" in written


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", ("smtp", "mail.example", 25, None, None)),
        (
            "smtp+starttls://me:p%40ss@mail.example",
            ("smtp+starttls", "mail.example", 587, "me", "p@ss"),
        ),
        ("smtps://me:pw@mail.example:2465", ("smtps", "mail.example", 2465, "me", "pw")),
    ],
)
def test_smtp_urls(url, expected):
    server = mailer.Server.from_url(url)
    assert (server.scheme, server.host, server.port, server.user, server.password) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://host:99999"])
def test_bad_smtp_urls_are_refused(url):
    with pytest.raises(mailer.InvalidSmtpUrl):
        mailer.Server.from_url(url)


def test_the_digest_runs_as_a_periodic_task(app):
    assert "tocsin.email_digest" in {
        t.name for t in state.of(app).queue.huey._registry.periodic_tasks
    }
