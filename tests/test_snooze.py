"""Snooze now: the routes' choices and their errors, resume, the banner on page load and
pushed to every tab, and what the policy does with notifications while snoozed."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin import state
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.models import Held, Preference
from tocsin.notifications import preferences, service, snooze

#: Tuesday 1 December 2026, 12:00 UTC.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BANNER_RE = re.compile(r'<div id="notification-snooze"[^>]*>')


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def stored(app, name="alice") -> tuple[datetime | None, datetime | None]:
    """The user's (snoozed_at, snooze_until) as stored."""
    with app.app_context():
        row = db.session.get(Preference, user_id(name))
        return (None, None) if row is None else (row.snoozed_at, row.snooze_until)


def set_timezone(app, name: str, timezone: str) -> None:
    with app.app_context():
        preferences.row_for_update(db.session, user_id(name)).timezone = timezone
        db.session.commit()


def banner(html: str) -> str:
    match = BANNER_RE.search(html)
    assert match, html
    return match.group(0)


def listen(app, name="alice") -> Connection:
    """A connection in the registry, as a socket of `name` has: it gets their events."""
    with app.app_context():
        conn = Connection(user_id(name), 16)
    state.of(app).registry.add(conn)
    return conn


@pytest.mark.parametrize(
    ("form", "until"),
    [
        ({"minutes": "30"}, NOW + timedelta(minutes=30)),
        ({"minutes": "60"}, NOW + timedelta(hours=1)),
        ({"minutes": "10080"}, NOW + timedelta(days=7)),
        ({"until": "2026-12-01T15:45:00Z"}, datetime(2026, 12, 1, 15, 45, tzinfo=UTC)),
        ({"until": "2026-12-01T15:45"}, datetime(2026, 12, 1, 15, 45, tzinfo=UTC)),  # naive: UTC
        ({"until": "2026-12-01T16:45+01:00"}, datetime(2026, 12, 1, 15, 45, tzinfo=UTC)),
        ({"forever": "1"}, None),
    ],
)
def test_each_choice_snoozes_until_its_end(app, clock, alice, form, until):
    response = alice.post("/notifications/snooze", form)
    assert response.status_code == 303
    assert stored(app) == (NOW, until)
    assert stored(app, "bob") == (None, None)  # nobody else is paused


def test_until_tomorrow_morning_is_8_in_the_users_timezone(app, client, clock, alice):
    # 1 December 12:00 UTC is 21:00 in Tokyo: "tomorrow 8:00" is 2 December 08:00 JST.
    set_timezone(app, "alice", "Asia/Tokyo")
    panel = client.get("/notifications/panel").text
    morning = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert f'name="until" value="{morning.isoformat()}"' in panel
    assert alice.post("/notifications/snooze", {"until": morning.isoformat()}).status_code == 303
    assert stored(app) == (NOW, morning)
    bell = client.get("/notifications/bell").text
    assert f'data-until="{morning.isoformat()}"' in banner(bell) and "hidden" not in banner(bell)
    assert ">tomorrow 08:00</time>" in bell


@pytest.fixture
def march(time_machine):
    time_machine.move_to(datetime(2026, 3, 7, 20, 0, tzinfo=UTC), tick=False)


def test_tomorrow_morning_across_a_daylight_saving_change(app, client, march, alice):
    # New York springs forward on 8 March 2026: 8:00 that morning is EDT (UTC-4).
    set_timezone(app, "alice", "America/New_York")
    panel = client.get("/notifications/panel").text
    assert 'name="until" value="2026-03-08T12:00:00+00:00"' in panel


@pytest.mark.parametrize("path", ["/notifications/panel", "/notifications"])
def test_the_menu_in_the_panel_and_inbox_posts_real_forms(client, clock, alice, path):
    panel = client.get(path).text
    menu = panel[panel.index('<details id="notification-snooze-menu"') :]
    menu = menu[: menu.index("</details>")]
    assert "<summary" in menu and "Pause notifications" in menu
    for label in ("For 30 minutes", "For 1 hour", "Until tomorrow 8:00", "Until I resume"):
        assert f">{label}</button>" in menu
    assert menu.count('method="post" action="/notifications/snooze"') == 4
    assert menu.count('name="csrf_token"') == 4
    assert 'name="minutes" value="30"' in menu and 'name="minutes" value="60"' in menu
    assert 'name="forever" value="1"' in menu


BAD = [
    ({}, "one of minutes, until or forever"),
    ({"minutes": ""}, "one of minutes, until or forever"),
    ({"minutes": "30", "forever": "1"}, "one of minutes, until or forever"),
    ({"minutes": "30", "until": "2026-12-02T08:00"}, "one of minutes, until or forever"),
    ({"minutes": "0"}, "minutes must be an integer from 1 to 10080"),
    ({"minutes": "10081"}, "minutes must be an integer from 1 to 10080"),
    ({"minutes": "-5"}, "minutes must be an integer from 1 to 10080"),
    ({"minutes": "1.5"}, "minutes must be an integer from 1 to 10080"),
    ({"minutes": "３０"}, "minutes must be an integer from 1 to 10080"),
    ({"minutes": "9" * 40}, "minutes must be an integer from 1 to 10080"),
    ({"forever": "yes"}, "forever must be 1"),
    ({"until": "tomorrow"}, "ISO 8601"),
    ({"until": "9999-12-31T23:59:59-05:00"}, "ISO 8601"),
    ({"until": "2026-12-01T11:59:00Z"}, "in the future"),
    ({"until": "2026-12-01T12:00:00Z"}, "in the future"),
    ({"until": "2027-12-02T12:00:00Z"}, "within a year"),
]


@pytest.mark.parametrize(("form", "message"), BAD)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_input_is_a_400_that_says_why_and_stores_nothing(
    app, clock, alice, form, message, htmx
):
    response = alice.post("/notifications/snooze", form, htmx=htmx)
    assert response.status_code == 400 and message in response.text
    assert stored(app) == (None, None)


def test_a_bad_input_leaves_a_running_snooze_alone(app, clock, alice):
    alice.post("/notifications/snooze", {"minutes": "30"})
    assert alice.post("/notifications/snooze", {"minutes": "0"}).status_code == 400
    assert stored(app) == (NOW, NOW + timedelta(minutes=30))


def test_resume_clears_the_snooze_and_answers_htmx_with_the_hidden_banner(app, clock, alice):
    alice.post("/notifications/snooze", {"forever": "1"})
    response = alice.post("/notifications/snooze/clear", htmx=True)
    assert response.status_code == 200
    tag = banner(response.text)
    assert 'hx-swap-oob="true"' in tag and tag.endswith(" hidden>")
    assert "data-until" not in tag and "data-forever" not in tag
    assert stored(app) == (None, None)
    # Resuming when not snoozed is harmless; a plain form goes back where it came from.
    response = alice.post(
        "/notifications/snooze/clear", headers={"Referer": "http://localhost/demo?x=1"}
    )
    assert response.status_code == 303 and response.location == "/demo?x=1"


def test_resume_says_whether_the_user_was_snoozed(app, clock):
    with app.app_context():
        alice = user_id("alice")
        assert snooze.resume(db.session, alice) is False
        snooze.snooze(db.session, alice, NOW + timedelta(minutes=5))
        assert snooze.resume(db.session, alice) is True
        assert snooze.resume(db.session, alice) is False
        # A snooze that ran out and was not yet swept was still ended by this call.
        snooze.snooze(db.session, alice, NOW + timedelta(minutes=5))
    clock.move_to(NOW + timedelta(minutes=10), tick=False)
    with app.app_context():
        assert snooze.resume(db.session, alice) is True


def test_htmx_snooze_answers_with_the_banner_out_of_band(clock, alice):
    response = alice.post("/notifications/snooze", {"minutes": "30"}, htmx=True)
    assert response.status_code == 200
    tag = banner(response.text)
    assert 'hx-swap-oob="true"' in tag and 'role="status"' in tag and "hidden" not in tag
    assert 'data-until="2026-12-01T12:30:00+00:00"' in tag
    assert ">12:30</time>" in response.text and ">Resume</button>" in response.text
    assert response.text.count('id="') == 1  # the banner alone: the menu stays as it is


def test_the_bell_shows_the_state_on_page_load(app, client, clock, alice):
    tag = banner(client.get("/notifications/bell").text)
    assert tag.endswith(" hidden>") and 'role="status"' in tag
    set_timezone(app, "alice", "Europe/Berlin")
    alice.post("/notifications/snooze", {"minutes": "150"})
    bell = client.get("/notifications/bell").text
    assert 'data-until="2026-12-01T14:30:00+00:00"' in banner(bell)
    assert "Paused until <time" in bell and ">15:30</time>" in bell  # Berlin is UTC+1
    assert 'action="/notifications/snooze/clear"' in bell
    alice.post("/notifications/snooze", {"forever": "1"})
    bell = client.get("/notifications").text  # the inbox page has the bell too
    assert "data-forever" in banner(bell) and "data-until" not in banner(bell)
    assert "Paused until you resume" in bell


def test_a_snooze_that_ran_out_shows_no_banner(client, clock, alice):
    alice.post("/notifications/snooze", {"minutes": "30"})
    clock.move_to(NOW + timedelta(minutes=30), tick=False)
    assert banner(client.get("/notifications/bell").text).endswith(" hidden>")


def test_another_users_snooze_is_theirs_alone(app, client, clock, auth):
    auth.login("bob")
    auth.post("/notifications/snooze", {"forever": "1"})
    auth.post("/logout")
    auth.login("alice")
    assert banner(client.get("/notifications/bell").text).endswith(" hidden>")
    auth.post("/notifications/snooze/clear")
    assert stored(app, "bob") == (NOW, None)


def test_snooze_and_resume_need_csrf_and_a_login(app, client, clock, alice):
    assert client.post("/notifications/snooze", data={"forever": "1"}).status_code == 400
    response = client.post(
        "/notifications/snooze",
        data={"forever": "1"},
        headers={"X-CSRFToken": alice.csrf(), "HX-Request": "true"},
    )
    assert response.status_code == 200 and stored(app) == (NOW, None)
    assert client.post("/notifications/snooze/clear").status_code == 400
    assert stored(app) == (NOW, None)
    anonymous = app.test_client()
    response = anonymous.post("/notifications/snooze/clear")
    assert response.status_code in (302, 400, 401)
    assert stored(app) == (NOW, None)


def test_snooze_and_resume_tell_every_tab_after_the_commit(app, clock, alice):
    tabs = [listen(app), listen(app)]
    bobs = listen(app, "bob")
    alice.post("/notifications/snooze", {"minutes": "30"})
    alice.post("/notifications/snooze/clear")
    for tab in tabs:
        assert tab.wait(0) == [{"kind": "prefs"}, {"kind": "prefs"}]
    assert bobs.wait(0) == []
    # A refused snooze changes nothing and tells nobody.
    alice.post("/notifications/snooze", {"minutes": "0"})
    assert tabs[0].wait(0) == []


def test_while_snoozed_a_comment_is_quiet_and_held_a_security_one_is_not(app, clock):
    tab = listen(app)
    with app.app_context():
        alice = user_id("alice")
        snooze.snooze(db.session, alice, NOW + timedelta(hours=1))
        tab.wait(0)
        comment = service.create(db.session, alice, type="comment", title="Later").id
        security = service.create(db.session, alice, type="security", title="New login").id
        urgent = service.create(db.session, alice, type="comment", title="Now", priority="urgent")
        events = tab.wait(0)
        held = db.session.scalars(sa.select(Held.notification_id).where(Held.user_id == alice))
        assert set(held) == {comment}
    assert {"kind": "created", "ids": [comment], "quiet": True} in events
    created = {e["ids"][0]: e for e in events if e["kind"] == "created"}
    assert not created[security].get("quiet") and not created[urgent.id].get("quiet")
    # Once resumed, comments toast again.
    with app.app_context():
        snooze.resume(db.session, alice)
        after = service.create(db.session, alice, type="comment", title="Back").id
    assert {"kind": "created", "ids": [after], "browser": True} in tab.wait(0)


@pytest.fixture
def alices_socket(app):
    with app.test_request_context("/notifications/ws"):
        conn = Connection(user_id("alice"), maxsize=8)
        conn.csrf_token = "socket-token"
        yield conn


def test_a_prefs_event_renders_the_banner_out_of_band(alices_socket, clock):
    alice = alices_socket.user_id
    snooze.snooze(db.session, alice, NOW + timedelta(minutes=45))
    message = push.render(db.session, alices_socket, [{"kind": "prefs"}])
    tag = banner(message)
    assert 'hx-swap-oob="true"' in tag and 'data-until="2026-12-01T12:45:00+00:00"' in tag
    assert 'value="socket-token"' in message and ">12:45</time>" in message
    assert "notification-badge" not in message  # a prefs event re-renders the banner only
    snooze.resume(db.session, alice)
    tag = banner(push.render(db.session, alices_socket, [{"kind": "prefs"}]))
    assert 'hx-swap-oob="true"' in tag and tag.endswith(" hidden>")
    # Without a prefs event there is no banner in the message.
    assert push.render(db.session, alices_socket, [{"kind": "other"}]) == ""


def test_a_prefs_event_beside_a_created_one_renders_both(alices_socket, clock):
    nid = service.create(db.session, alices_socket.user_id, type="comment", title="Hi").id
    message = push.render(
        db.session, alices_socket, [{"kind": "created", "ids": [nid]}, {"kind": "prefs"}]
    )
    assert f'id="notification-{nid}"' in message and 'id="notification-snooze"' in message


def test_the_connect_snapshot_carries_the_banner(alices_socket, clock):
    assert banner(push.snapshot(db.session, alices_socket)).endswith(" hidden>")
    snooze.snooze(db.session, alices_socket.user_id, None)
    tag = banner(push.snapshot(db.session, alices_socket))
    assert 'hx-swap-oob="true"' in tag and "data-forever" in tag and "hidden" not in tag
