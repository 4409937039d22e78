"""The preferences page: the table of types × channels, saving, rejections, the first timezone."""

import re

import pytest

from tests.conftest import user_id
from tests.support import CSRF_RE
from tocsin import notify_many, state
from tocsin.extensions import db
from tocsin.live.connection import Connection
from tocsin.models import Preference
from tocsin.notifications import preferences, queries
from tocsin.notifications.preferences import CHANNELS
from tocsin.notifications.types import NotificationType, catalog

PAGE = "/notifications/preferences"
TIMEZONE = "/notifications/preferences/timezone"
INVOICE = NotificationType("invoice", "payment", "Invoice", "high", channels=("email",))

#: A full form as the page posts it: every type's default boxes, no quiet hours.
BASE = {
    "timezone": "Europe/Paris",
    "quiet_start": "22:30",
    "quiet_end": "07:00",
    "sound": "on",
    "urgent_through": "on",
    "digest": "daily",
    "pref.comment.toast": "on",
    "pref.comment.email": "on",
}


def prefs_of(app, name="alice") -> preferences.Preferences:
    with app.app_context():
        return preferences.load(db.session, user_id(name))


def box(page: str, type_name: str, channel: str) -> str:
    """The <input> tag of one box of the table."""
    match = re.search(rf'<input type="checkbox" name="pref\.{type_name}\.{channel}"[^>]*>', page)
    assert match, f"no box for {type_name}.{channel}"
    return match.group(0)


def connect(app, name: str) -> Connection:
    conn = Connection(user_id(name), 10)
    state.of(app).registry.add(conn)
    return conn


def test_page_shows_every_type_by_every_channel_with_the_defaults(app, client, alice):
    catalog(app).add(INVOICE)
    page = client.get(PAGE)
    assert page.status_code == 200 and "<html" in page.text
    with app.app_context():
        names = list(catalog(app))
    assert "invoice" in names and "security" in names
    for name in names:
        type_ = catalog(app).get(name)
        for channel in CHANNELS:
            tag = box(page.text, name, channel)
            assert f'aria-label="{type_.label}: {channel.capitalize()}"' in tag
            assert ("checked" in tag) == (type_.critical or channel in type_.channels), tag
            assert ("disabled" in tag) == type_.critical
    assert 'name="timezone"' in page.text and '<option value="Europe/Paris">' in page.text
    assert re.search(r'<input type="time" name="quiet_start" value="">', page.text)
    assert '<option value="off" selected>' in page.text
    assert re.search(r'name="urgent_through" value="on" checked', page.text)
    assert "take effect when those channels are available" in page.text
    assert "Preferences saved" not in page.text


def test_a_saved_form_is_stored_and_shown(app, client, alice):
    response = alice.post(PAGE, BASE)
    assert response.status_code == 303
    prefs = prefs_of(app)
    assert (prefs.timezone, prefs.digest, prefs.sound, prefs.urgent_through) == (
        "Europe/Paris",
        "daily",
        True,
        True,
    )
    assert prefs.quiet_start.strftime("%H:%M") == "22:30" and prefs.has_quiet_hours
    comment, like = catalog(app).get("comment"), catalog(app).get("like")
    assert prefs.wants(comment, "email") and not prefs.wants(comment, "browser")
    assert not prefs.wants(like, "toast")  # unchecked: the form is complete
    page = client.get(PAGE).text
    assert "checked" in box(page, "comment", "email") and "checked" not in box(
        page, "like", "toast"
    )
    assert 'name="timezone" value="Europe/Paris"' in page
    assert 'name="quiet_start" value="22:30"' in page and 'name="quiet_end" value="07:00"' in page
    assert '<option value="daily" selected>' in page
    # Sound and urgent_through off, quiet hours cleared: unchecked and empty are choices too.
    alice.post(PAGE, {"digest": "off", "timezone": "Europe/Paris"})
    prefs = prefs_of(app)
    assert not prefs.sound and not prefs.urgent_through and not prefs.has_quiet_hours


def test_plain_form_answers_303_to_the_page_which_confirms(client, alice):
    response = alice.post(PAGE, BASE)
    assert response.status_code == 303 and response.location == f"{PAGE}?saved=1"
    page = client.get(response.location).text
    assert re.search(r'<p class="[^"]*tocsin-prefs-saved" role="status">.*Preferences saved', page)


def test_htmx_save_rerenders_the_form_in_place_with_a_confirmation(app, alice):
    response = alice.post(PAGE, BASE, htmx=True)
    assert response.status_code == 200
    assert response.text.startswith('<form id="notification-preferences"')
    assert "<html" not in response.text
    assert re.search(r'role="status">.*Preferences saved</p>', response.text)
    assert "checked" in box(response.text, "comment", "email")
    assert prefs_of(app).digest == "daily"


def test_saving_tells_the_users_tabs_after_commit(app, alice):
    with app.app_context():
        tabs, others = connect(app, "alice"), connect(app, "bob")
    alice.post(PAGE, BASE, htmx=True)
    assert {"kind": "prefs"} in tabs.wait(0)
    assert others.wait(0) == []
    alice.post(PAGE, {**BASE, "digest": "weekly"}, htmx=True)  # rejected: nothing to tell
    assert tabs.wait(0) == []


def test_a_critical_type_cannot_be_muted(app, alice):
    with app.app_context():
        # A stored mute (written by hand, or before the type became critical) is dropped.
        db.session.add(
            Preference(user_id=user_id("alice"), channels={"security": {"toast": False}})
        )
        db.session.commit()
    response = alice.post(PAGE, {**BASE, "pref.security.toast": "off"})
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.get(Preference, user_id("alice")).channels
    assert "security" not in stored and stored["comment"]["toast"] is True
    security = catalog(app).get("security")
    assert all(prefs_of(app).wants(security, c) for c in CHANNELS)
    with app.app_context():
        tab = connect(app, "alice")
        notify_many(["alice"], "security", "New sign-in")
    (event,) = tab.wait(0)
    assert event["kind"] == "created" and "quiet" not in event


def test_a_muted_toast_is_quiet_but_stored_and_counted(app, alice):
    form = {k: v for k, v in BASE.items() if k != "pref.comment.toast"}
    form.update(quiet_start="", quiet_end="")
    assert alice.post(PAGE, form).status_code == 303
    with app.app_context():
        tabs = {name: connect(app, name) for name in ("alice", "bob")}
        ids = notify_many(["alice", "bob"], "comment", "Ann replied")
        (to_alice,) = tabs["alice"].wait(0)
        (to_bob,) = tabs["bob"].wait(0)
        assert to_alice["quiet"] is True and to_alice["ids"][0] in ids
        assert "quiet" not in to_bob
        assert queries.unread_count(db.session, user_id("alice")) == 1
        assert queries.get(db.session, user_id("alice"), to_alice["ids"][0]) is not None


BAD = [
    ({"quiet_start": "25:00"}, "Quiet hours start must be a time as HH:MM"),
    ({"quiet_end": "7pm"}, "Quiet hours end must be a time as HH:MM"),
    ({"quiet_end": ""}, "Quiet hours need both a start and an end"),
    ({"quiet_start": ""}, "Quiet hours need both a start and an end"),
    ({"quiet_start": "07:00", "quiet_end": "07:00"}, "must start and end at different times"),
    ({"timezone": "Mars/Olympus_Mons"}, "Unknown timezone &#39;Mars/Olympus_Mons&#39;"),
    ({"timezone": "../../etc/passwd"}, "Unknown timezone"),
    ({"digest": "weekly"}, "Email digest must be one of: off, hourly, daily"),
    ({"digest": None}, "Email digest must be one of"),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize(("change", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_input_is_a_400_with_its_message_and_changes_nothing(app, alice, change, message, htmx):
    assert alice.post(PAGE, BASE).status_code == 303
    before = prefs_of(app)
    form = {**BASE, "sound": None, "pref.comment.toast": None, **change}
    response = alice.post(PAGE, {k: v for k, v in form.items() if v is not None}, htmx=htmx)
    assert response.status_code == 400
    assert re.search(r'<p id="notification-preferences-error"[^>]*role="alert">', response.text)
    assert message in response.text
    assert ("<html" in response.text) is not htmx
    assert 'aria-describedby="notification-preferences-error"' in response.text
    assert prefs_of(app) == before
    # What was posted is shown again, not the saved values: nothing typed is lost.
    assert "checked" not in box(response.text, "comment", "toast")


def test_posts_need_the_csrf_token(app, client, alice):
    assert client.post(PAGE, data=BASE).status_code == 400
    assert client.post(PAGE, data=BASE, headers={"HX-Request": "true"}).status_code == 400
    assert client.post(TIMEZONE, data={"timezone": "Europe/Paris"}).status_code == 400
    assert prefs_of(app) == preferences.DEFAULTS
    response = client.post(PAGE, data=BASE, headers={"X-CSRFToken": alice.csrf()})
    assert response.status_code == 303 and prefs_of(app).digest == "daily"


def test_login_is_required(app, client):
    # A valid token of the anonymous session: the login check itself turns the posts away.
    token = CSRF_RE.search(client.get("/login").text).group(1)
    responses = (
        client.get(PAGE),
        client.post(PAGE, data={**BASE, "csrf_token": token}),
        client.post(TIMEZONE, data={"timezone": "Europe/Paris", "csrf_token": token}),
    )
    for response in responses:
        assert response.status_code == 302 and "/login" in response.location
    assert prefs_of(app) == preferences.DEFAULTS


def test_the_browsers_timezone_is_taken_only_while_none_is_set(app, alice):
    with app.app_context():
        tab = connect(app, "alice")
    response = alice.post(TIMEZONE, {"timezone": "America/New_York"}, htmx=True)
    assert response.status_code == 204 and prefs_of(app).timezone == "America/New_York"
    assert {"kind": "prefs"} in tab.wait(0)
    response = alice.post(TIMEZONE, {"timezone": "Asia/Tokyo"})
    assert response.status_code == 303  # the plain form goes back
    assert prefs_of(app).timezone == "America/New_York" and tab.wait(0) == []
    alice.post(PAGE, {**BASE, "timezone": "Europe/Lisbon"})
    alice.post(TIMEZONE, {"timezone": "Asia/Tokyo"})
    assert prefs_of(app).timezone == "Europe/Lisbon"  # the page's choice stays
    assert prefs_of(app, "bob").timezone is None


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "", "Europe"])
def test_an_unknown_browser_timezone_is_a_400(app, alice, bad):
    response = alice.post(TIMEZONE, {"timezone": bad})
    assert response.status_code == 400 and "Unknown timezone" in response.text
    assert prefs_of(app) == preferences.DEFAULTS


def test_gear_links_from_the_panel_and_the_inbox(client, alice):
    link = re.compile(
        r'<a class="tocsin-icon-button tocsin-prefs-link" href="/notifications/preferences"'
        r' aria-label="Notification preferences"><svg[^>]*><use href="[^"]*icons\.svg#gear">'
    )
    assert link.search(client.get("/notifications/panel").text)
    assert link.search(client.get("/notifications").text)
    bell = client.get("/notifications/bell").text
    assert 'data-timezone-url="/notifications/preferences/timezone"' in bell
