"""Times as their reader reads them: the user's stored zone in their own pages, UTC in
what is rendered once for many (a push), so that it is the same bytes for every user."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from app import users
from tests.conftest import user_id
from tocsin import notify_many
from tocsin.channels import email_message
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.models import Notification
from tocsin.notifications import preferences, snooze, viewer_time

#: Saturday 21 November 2026, 12:00 UTC: already Sunday 01:00 in Auckland.
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
AUCKLAND_TITLE = "Sun, Nov 22, 2026, 1:00 AM New Zealand Daylight Time"
UTC_TITLE = "Sat, Nov 21, 2026, 12:00 PM UTC"
TIME_RE = re.compile(r'<time class="tocsin-item-time"[^>]*>[^<]*</time>')


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def set_timezone(app, name: str, zone: str) -> None:
    with app.app_context():
        preferences.row_for_update(db.session, user_id(name)).timezone = zone
        db.session.commit()


def plain(html: str) -> str:
    """CLDR's narrow no-break space before AM/PM as a plain one."""
    return html.replace("\u202f", " ")


def test_a_user_in_auckland_sees_local_dates_in_the_inbox_panel_and_group(
    app, clock, client, alice, notify
):
    set_timezone(app, "alice", "Pacific/Auckland")
    first = notify(title="Grouped", group_key="g", actor="bob")
    notify(title="Grouped", group_key="g", actor="carol")
    for path in ("/notifications", "/notifications/panel", f"/notifications/{first}/group"):
        page = plain(client.get(path).text)
        assert f'title="{AUCKLAND_TITLE}"' in page, path
        assert 'datetime="2026-11-21T12:00:00+00:00" data-tocsin-time="relative"' in page
        assert "UTC" not in TIME_RE.search(page).group(0)
    bell = client.get("/notifications").text
    assert 'data-timezone="Pacific/Auckland"' in bell


def test_a_week_old_item_shows_the_day_in_the_users_zone(app, clock, client, alice, notify):
    clock.move_to(datetime(2026, 11, 12, 20, 0, tzinfo=UTC), tick=False)  # Nov 13 in Auckland
    old = notify(title="Older")
    clock.move_to(NOW, tick=False)
    new = notify(title="New")
    item = re.compile(r'id="notification-(\d+)".*?>([^<>]+)</time>', re.S)
    assert dict(item.findall(client.get("/notifications").text)) == {
        str(new): "just now",
        str(old): "Nov 12",
    }
    set_timezone(app, "alice", "Pacific/Auckland")
    assert dict(item.findall(client.get("/notifications").text))[str(old)] == "Nov 13"


def test_a_user_without_a_timezone_reads_utc_and_the_bell_asks_the_browser(
    clock, client, alice, notify
):
    notify()
    page = plain(client.get("/notifications").text)
    assert f'title="{UTC_TITLE}"' in page
    assert (
        'data-timezone=""' in page
        and 'data-timezone-url="/notifications/preferences/timezone"' in page
    )


def test_a_pushed_item_is_the_same_for_users_in_different_zones(app, clock):
    zones = {"alice": "Pacific/Auckland", "bob": "America/New_York"}
    for name, zone in zones.items():
        set_timezone(app, name, zone)
    with app.app_context():
        notify_many(list(zones), "comment", title="Earlier")  # ids 1 and 2; the badge says 2
        ids = dict(zip(zones, notify_many(list(zones), "comment", title="Hi"), strict=True))
    messages = {}
    for name in zones:  # each in a logged-in socket request of their own, as ws() runs
        with app.test_request_context("/notifications/ws"):
            login_user(users.by_username(db.session, name))
            assert viewer_time.viewer_zone_name() == zones[name]
            conn = Connection(user_id(name), maxsize=8)
            conn.csrf_token = generate_csrf()
            message = push.render(db.session, conn, [{"kind": "created", "ids": [ids[name]]}])
            message = message.replace(conn.csrf_token, "TOKEN")
            messages[name] = re.sub(rf"\b{ids[name]}\b", "ID", message)
    assert messages["alice"] == messages["bob"]
    assert f'title="{UTC_TITLE}"' in plain(messages["alice"])  # the browser puts it in each zone


def test_the_snooze_banner_ends_on_the_users_clock_with_the_zone_in_its_tooltip(
    app, clock, client, alice
):
    set_timezone(app, "alice", "Pacific/Auckland")
    with app.app_context():
        snooze.snooze(db.session, user_id("alice"), NOW + timedelta(hours=2))
    page = plain(client.get("/notifications").text)
    expected = (
        'Paused until <time datetime="2026-11-21T14:00:00+00:00" '
        'title="Sun, Nov 22, 2026, 3:00 AM New Zealand Daylight Time">03:00</time>'  # today there
    )
    assert expected in page, re.search(r"Paused until.{0,200}", page).group(0)


def test_emails_tell_the_time_on_the_users_clock(app, clock, notify):
    nid = notify(title="Shipped")
    with app.app_context():
        n = db.session.get(Notification, nid)
        zone = preferences.Preferences(timezone="Pacific/Auckland").tz
        one = email_message.for_notification(n, "a@x.test", zone=zone)
        digest = email_message.for_digest(user_id("alice"), "a@x.test", [n], 0, "daily", zone=zone)
        utc = email_message.for_notification(n, "a@x.test")  # no zone: UTC, and says so
    for message in (one, digest):
        for part in ("plain", "html"):
            assert AUCKLAND_TITLE in plain(message.get_body((part,)).get_content()), part
    assert UTC_TITLE in plain(utc.get_body(("plain",)).get_content())


def test_outside_a_request_the_zone_is_utc(app):
    with app.app_context():
        assert viewer_time.viewer_zone() is UTC
        assert viewer_time.viewer_zone_name() == ""
        assert viewer_time.viewer_locale().language == "en"
