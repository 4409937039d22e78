"""Words sent without the reader's request: emails in the recipient's language, and socket
renderings in the socket's, shared only between sockets that read the same language."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask_babel import force_locale, get_locale
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from app import users
from tests.conftest import user_id
from tests.email_support import parts
from tests.test_email_channel import run_due
from tocsin import notify_many, state
from tocsin.channels import digest, email_message
from tocsin.extensions import db
from tocsin.live import push, stencil
from tocsin.live.connection import Connection
from tocsin.notifications import preferences, service

BASE = "https://tocsin.example"


def choose(name: str, locale: str | None) -> None:
    row = preferences.row_for_update(db.session, user_id(name))
    row.locale = locale
    db.session.commit()


@pytest.fixture
def mail_app(app, smtp):
    app.config.update(TOCSIN_SMTP_URL=smtp.url, TOCSIN_BASE_URL=BASE)
    with app.app_context():
        for name in ("alice", "bob"):
            state.of(app).directory.set_email(db.session, user_id(name), f"{name}@example.com")
        db.session.commit()
        choose("alice", "de")
    return app


def test_an_email_is_in_its_recipients_language_not_the_senders(mail_app, smtp, notify):
    for name in ("alice", "bob"):
        notify(name, type="payment", title="Rechnung bezahlt")
    # The worker runs inside someone's request here, in English: it must not matter.
    with mail_app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(get_locale()) == "en"
        assert [d.state for d in run_due(timedelta(seconds=901))] == ["sent", "sent"]
        assert str(get_locale()) == "en"  # and the request's language is left as it was
    by_to = {m["To"]: m for m in smtp.inbox.messages}
    text, html = parts(by_to["alice@example.com"])
    assert '<html lang="de">' in html and ">Öffnen</a>" in html
    assert "Sie erhalten diese E-Mail, weil diese Benachrichtigung noch ungelesen war." in text
    assert "Keine E-Mails mehr zu Zahlung" in text and "Rechnung bezahlt" in text
    text, html = parts(by_to["bob@example.com"])
    assert '<html lang="en">' in html and ">Open</a>" in html
    assert "Stop emails about payment" in text


@pytest.mark.parametrize(
    ("locale", "count", "subject"),
    [
        ("de", 1, "1 ungelesene Benachrichtigung"),
        ("de", 3, "3 ungelesene Benachrichtigungen"),
        ("en", 1, "1 unread notification"),
        ("en", 3, "3 unread notifications"),
    ],
)
def test_a_digests_subject_counts_in_the_recipients_language(mail_app, locale, count, subject):
    with mail_app.app_context():
        alice = user_id("alice")
        shown = [
            service.create(db.session, alice, type="order", title=f"Order {i}") for i in range(1)
        ]
        message = email_message.for_digest(
            alice, "alice@example.com", shown, count - 1, "daily", locale
        )
    assert message["Subject"] == subject
    text, _ = parts(message)
    wanted = "Ihre tägliche Zusammenfassung" if locale == "de" else "Your daily digest"
    assert wanted in text


def test_the_digest_run_uses_the_users_setting(mail_app, smtp):
    start = datetime(2026, 3, 10, 10, 20, tzinfo=UTC)
    with mail_app.app_context(), time_machine.travel(start, tick=False):
        alice = user_id("alice")
        row = preferences.row_for_update(db.session, alice)
        row.digest, row.timezone = "hourly", "UTC"
        db.session.commit()
        service.create(db.session, alice, type="order", title="Versandt")
    with mail_app.app_context(), time_machine.travel(start + timedelta(minutes=41), tick=False):
        assert digest.run_due(db.session) == 1
    (message,) = smtp.inbox.messages
    assert message["Subject"] == "1 ungelesene Benachrichtigung"


def socket(name: str, token: str) -> Connection:
    conn = Connection(user_id(name), maxsize=8)
    conn.csrf_token = token
    return conn


def test_a_fan_out_renders_once_per_language_and_each_socket_reads_its_own(app):
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        for name in ("carol", "dave"):
            users.create(db.session, name, "tocsin")
        ids = notify_many(["alice", "bob", "carol", "dave"], "comment", title="Deploy done")
        generate_csrf()
        stencils = stencil.for_app()
        before = len(stencils._stencils)
        messages = {}
        for (name, language), nid in zip(
            [("alice", "de"), ("bob", "en"), ("carol", "de"), ("dave", "en")], ids, strict=True
        ):
            # What a socket's own request context says: its user's language (i18n.py).
            with force_locale(language):
                conn = socket(name, f"token-of-{name}")
                messages[name] = push.render(db.session, conn, [{"kind": "created", "ids": [nid]}])
        assert len(stencils._stencils) == before + 2  # one per language, not one per user
    for name in ("alice", "carol"):
        assert 'title="Als gelesen markieren"' in messages[name], name
        assert 'aria-label="1 ungelesene Benachrichtigung"' in messages[name]
        assert "Mark as read" not in messages[name]
    for name in ("bob", "dave"):
        assert 'title="Mark as read"' in messages[name] and "Als gelesen" not in messages[name]
        assert 'aria-label="1 unread notification"' in messages[name]


def test_a_snapshot_is_in_the_sockets_language(app, notify):
    notify(title="Hallo")
    with app.test_request_context("/notifications/ws"), force_locale("de"):
        login_user(users.by_username(db.session, "alice"))
        conn = socket("alice", generate_csrf())
        html = push.snapshot(db.session, conn)
    assert 'title="Als gelesen markieren"' in html and "Mark as read" not in html
