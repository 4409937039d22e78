"""Logins are records on the server: logout, "log out other devices", idle and absolute expiry."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions
from tocsin.extensions import db
from tocsin.models import Login

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LIFETIME = 14 * 24 * 3600  # the default absolute lifetime
IDLE = 3 * 24 * 3600  # the default idle limit


def copy_cookie(source, target) -> None:
    """Put `source`'s session cookie in `target`, as a thief or a second device would."""
    target.set_cookie("session", source.get_cookie("session").value)


def logged_in(client) -> bool:
    return client.get("/notifications").status_code == 200


def test_a_copied_cookie_stops_working_after_logout(app, client, auth):
    auth.login()
    thief = app.test_client()
    copy_cookie(client, thief)
    assert logged_in(thief)
    assert auth.post("/logout").status_code == 303
    response = thief.get("/notifications")
    assert response.status_code == 302 and "/login" in response.location
    assert thief.get("/notifications/bell").status_code == 302


def test_logout_others_ends_every_other_login_of_the_user(app, client, auth):
    auth.login()
    laptop = app.test_client()
    AuthActions(laptop).login()
    copied = app.test_client()
    copy_cookie(laptop, copied)
    bob = app.test_client()
    AuthActions(bob).login("bob")
    response = auth.post("/logout/others")
    assert response.status_code == 303 and response.location == "/"
    assert "Logged out 1 other session." in client.get("/").text
    assert logged_in(client)  # this one stays
    assert not logged_in(laptop) and not logged_in(copied)
    assert logged_in(bob)  # another user's logins are not touched


def test_logout_others_needs_csrf_and_a_login(app, client, auth):
    assert client.post("/logout/others").status_code in (302, 400)
    auth.login()
    assert client.post("/logout/others").status_code == 400  # no CSRF token


def test_the_demo_page_offers_logout_others(client, auth):
    auth.login()
    page = client.get("/").text
    assert 'id="logout-others"' in page and 'action="/logout/others"' in page


def test_idle_login_expires(app, client, auth, time_machine):
    time_machine.move_to(START, tick=False)
    auth.login()
    time_machine.shift(timedelta(seconds=IDLE - 60))
    assert logged_in(client)  # a request: the idle clock starts again
    time_machine.shift(timedelta(seconds=IDLE - 60))
    assert logged_in(client)
    time_machine.shift(timedelta(seconds=IDLE + 1))
    assert not logged_in(client)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Login)) == 0


def test_active_login_ends_at_the_absolute_lifetime(client, auth, time_machine):
    time_machine.move_to(START, tick=False)
    auth.login()
    elapsed = 0
    while elapsed + 12 * 3600 < LIFETIME:
        time_machine.shift(timedelta(hours=12))
        elapsed += 12 * 3600
        assert logged_in(client), f"logged out after {elapsed} s of activity"
    time_machine.shift(timedelta(seconds=LIFETIME - elapsed))
    assert not logged_in(client)


def test_last_seen_is_written_at_most_once_a_minute(app, client, auth, time_machine):
    time_machine.move_to(START, tick=False)
    auth.login()

    def seen_at():
        with app.app_context():
            return db.session.scalar(sa.select(Login.seen_at))

    time_machine.shift(timedelta(seconds=30))
    for _ in range(5):
        assert logged_in(client)
    assert seen_at() == START
    time_machine.shift(timedelta(seconds=31))
    assert logged_in(client)
    assert seen_at() == START + timedelta(seconds=61)


@pytest.mark.parametrize("idle", [0])
def test_idle_limit_can_be_turned_off(app, client, auth, time_machine, idle):
    app.config["TOCSIN_SESSION_IDLE"] = idle
    time_machine.move_to(START, tick=False)
    auth.login()
    time_machine.shift(timedelta(days=10))
    assert logged_in(client)


def test_a_cookie_from_before_login_records_counts_as_logged_out(app, client, auth):
    auth.login()
    with client.session_transaction() as session:
        session["sid"] = "0" * 32  # signed by the app, but no such login on the server
    assert not logged_in(client)


def test_logging_in_again_ends_the_login_it_replaces(app, client, auth):
    auth.login()
    old = app.test_client()
    copy_cookie(client, old)
    auth.login("bob")
    assert not logged_in(old)
    assert "Welcome, bob" in client.get("/").text
