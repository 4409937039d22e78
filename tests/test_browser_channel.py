"""Browser notifications ride on the live event: the policy's "browser" decision per user,
carried to the toast as data-browser, never into another user's rendering."""

import re

import pytest
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from app import users
from tests.conftest import user_id
from tests.test_pipeline import Mute
from tocsin import Decision, Tocsin, notify_many, state
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.notifications.channels import BrowserChannel, LiveChannel


@pytest.fixture
def events(app, monkeypatch) -> list[tuple[int, dict]]:
    """The live channel's events, as the broker is handed them."""
    sent: list[tuple[int, dict]] = []
    broker = state.of(app).broker
    monkeypatch.setattr(broker, "publish_many", lambda batch: sent.extend(batch))
    return sent


def event_of(events, name: str) -> dict:
    return next(e for uid, e in events if uid == user_id(name))


def test_the_default_channels_include_browser(app):
    assert [c.name for c in state.of(app).channels][:2] == ["toast", "browser"]


def test_a_type_with_browser_on_is_marked_and_one_without_is_not(ctx, events):
    notify_many(["alice"], "comment", title="On")
    assert event_of(events, "alice").get("browser") is True
    events.clear()
    notify_many(["alice"], "order", title="Toast and email only")
    assert "browser" not in event_of(events, "alice")


def test_low_priority_quiet_and_muted_get_no_browser_notification(app, ctx, events):
    notify_many(["alice"], "comment", title="Low", priority="low")
    assert event_of(events, "alice") == {"kind": "created", "ids": [1], "quiet": True}
    events.clear()
    Tocsin().add_rule(app, Mute(user_id("alice"), "browser", Decision.SKIP))
    notify_many(["alice", "bob"], "comment", title="Muted for alice on browser")
    assert "browser" not in event_of(events, "alice")
    assert event_of(events, "bob").get("browser") is True


def test_the_preference_and_a_snooze_decide(app, alice, events):
    form = {"timezone": "UTC", "quiet_start": "", "quiet_end": "", "digest": "off"}
    assert (
        alice.post("/notifications/preferences", {**form, "pref.comment.toast": "on"}).status_code
        == 303
    )
    with app.app_context():
        notify_many(["alice"], "comment", title="Browser box off")
        assert "browser" not in event_of(events, "alice")
    events.clear()
    prefs = {**form, "pref.comment.toast": "on", "pref.comment.browser": "on"}
    assert alice.post("/notifications/preferences", prefs).status_code == 303
    assert alice.post("/notifications/snooze", {"minutes": "60"}).status_code == 303
    with app.app_context():
        notify_many(["alice"], "comment", title="Snoozed")
        assert event_of(events, "alice").get("quiet") is True
        assert "browser" not in event_of(events, "alice")
        # Critical comes through, and shows in a hidden tab too.
        notify_many(["alice"], "security", title="New sign-in")
        assert event_of(events[1:], "alice").get("browser") is True


def test_a_host_without_the_browser_channel_gets_no_flag(app, ctx, events):
    state.of(app).channels[:] = [LiveChannel()]
    notify_many(["alice"], "comment", title="No browser channel")
    assert "browser" not in event_of(events, "alice")
    assert BrowserChannel().send is not None  # a channel that sends nothing itself


@pytest.fixture
def sockets(app):
    """Alice's and bob's connections as ws() makes them."""
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        conns = {}
        for name in ("alice", "bob"):
            conns[name] = Connection(user_id(name), maxsize=8)
            conns[name].csrf_token = generate_csrf()
        yield conns


def toast_tag(message: str, nid: int) -> str:
    return re.search(rf'<div id="toast-{nid}"[^>]*>', message).group(0)


@pytest.mark.parametrize("shared", [True, False], ids=["stencil", "ordinary"])
def test_the_flag_marks_only_its_users_toast(app, sockets, shared, monkeypatch):
    if not shared:
        monkeypatch.setattr(state.of(app).stencils, "created", lambda *a, **k: None)
    nid_a, nid_b = notify_many(["alice", "bob"], "comment", title="Same content")
    alice = push.render(
        db.session, sockets["alice"], [{"kind": "created", "ids": [nid_a], "browser": True}]
    )
    bob = push.render(db.session, sockets["bob"], [{"kind": "created", "ids": [nid_b]}])
    assert "data-browser" in toast_tag(alice, nid_a)
    assert "data-browser" not in toast_tag(bob, nid_b)
    # Bob's other tab, after alice's flagged rendering: the stencil cache keeps them apart.
    other_tab = Connection(sockets["bob"].user_id, maxsize=8)
    other_tab.csrf_token = sockets["bob"].csrf_token
    bob = push.render(db.session, other_tab, [{"kind": "created", "ids": [nid_b]}])
    assert "data-browser" not in toast_tag(bob, nid_b)


def test_an_urgent_toast_keeps_its_priority_for_require_interaction(app, sockets):
    (nid,) = notify_many(["alice"], "comment", title="Now", priority="urgent")
    message = push.render(
        db.session, sockets["alice"], [{"kind": "created", "ids": [nid], "browser": True}]
    )
    tag = toast_tag(message, nid)
    assert 'data-priority="urgent"' in tag and "data-browser" in tag


def test_a_quiet_event_has_no_toast_to_mark(app, sockets):
    (nid,) = notify_many(["alice"], "comment", title="Held")
    event = {"kind": "created", "ids": [nid], "quiet": True, "browser": True}
    message = push.render(db.session, sockets["alice"], [event])
    assert f'id="toast-{nid}"' not in message
