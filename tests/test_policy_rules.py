"""The built-in policy rules on real publishes: critical first, mutes, low priority, quiet
hours and snooze, the live event's quiet and sound flags, and the snapshot's missed toasts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_login import login_user

from app import users
from tests.conftest import user_id
from tocsin import Channel, Decision, Delivery, Rule, Tocsin, notify_many, state
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.models import Held, Notification
from tocsin.notifications import preferences, queries, toast_scope
from tocsin.notifications.types import NotificationType
from tocsin.notifications.validation import clean

pytestmark = pytest.mark.usefixtures("ctx")

#: 23:30 UTC on a December day: 00:30 in Paris (UTC+1), inside 22:00-07:00 there.
NIGHT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
#: 12:00 UTC the next day: 13:00 in Paris, outside it.
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
TOAST_RE = re.compile(r'id="toast-(\d+)"')


class Recorder(Channel):
    """A host channel (not one of preferences.CHANNELS) that keeps what it was asked."""

    name = "recorder"

    def __init__(self) -> None:
        self.delivered: list[tuple[int, int]] = []

    def deliver(self, deliveries):
        self.delivered += deliveries


class SkipAll(Rule):
    """An app rule that skips every delivery on every channel."""

    def decide(self, delivery: Delivery):
        return Decision.SKIP


@pytest.fixture
def recorder(app) -> Recorder:
    channel = Recorder()
    Tocsin().add_channel(app, channel)
    return channel


@pytest.fixture
def events(app, monkeypatch) -> dict[int, list[dict]]:
    """The broker events published, per user (the live channel's "created" among them)."""
    seen: dict[int, list[dict]] = {}

    def publish_many(pairs):
        for uid, event in pairs:
            seen.setdefault(uid, []).append(event)

    monkeypatch.setattr(state.of(app).broker, "publish_many", publish_many)
    return seen


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NIGHT, tick=False)
    return time_machine


def save(name: str, **fields) -> None:
    """Store preferences for user `name`, as the preferences page would."""
    row = preferences.row_for_update(db.session, user_id(name))
    for key, value in fields.items():
        setattr(row, key, value)
    db.session.commit()


def quiet_in_paris(name: str = "alice", **fields) -> None:
    save(name, timezone="Europe/Paris", quiet_start="22:00", quiet_end="07:00", **fields)


def snooze(name: str = "alice", minutes: int = 30) -> None:
    now = datetime.now(UTC)
    save(name, snoozed_at=now, snooze_until=now + timedelta(minutes=minutes))


def created(events: dict, name: str, nid: int) -> dict:
    """The one "created" event user `name` got for notification `nid`."""
    (event,) = [e for e in events.get(user_id(name), []) if e.get("ids") == [nid]]
    assert event["kind"] == "created"
    return event


def held() -> list[tuple[int, int, str, str]]:
    stmt = sa.select(Held.user_id, Held.notification_id, Held.channel, Held.reason)
    return [tuple(r) for r in db.session.execute(stmt.order_by(Held.id))]


def plan(app, names: list[str], channels: list[str], **content):
    content = {"type": "comment", "title": "t", **content}
    recipients = [user_id(n) for n in names]
    return state.of(app).policy.plan(db.session, recipients, channels, clean(**content))


def register_breach(app) -> None:
    """A host type declared critical, whose only default channel is email."""
    Tocsin().register_type(
        app, NotificationType("breach", "security", "Breach", channels=("email",), critical=True)
    )


# Critical first ---------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["security", "breach"])
def test_critical_comes_through_mutes_snooze_quiet_hours_and_an_app_rule(
    app, type_, recorder, events, clock
):
    register_breach(app)
    Tocsin().add_rule(app, SkipAll())
    quiet_in_paris(channels={type_: {"toast": False, "browser": False}})
    snooze()
    (nid,) = notify_many(["alice"], type_, "Someone signed in")
    assert recorder.delivered == [(user_id("alice"), nid)]
    assert "quiet" not in created(events, "alice", nid)
    assert held() == []
    decided = plan(app, ["alice"], ["toast", "browser", "email", "recorder"], type=type_)
    assert all(d == {user_id("alice"): Decision.DELIVER} for d in decided.decisions.values())


def test_without_critical_the_same_app_rule_skips(app, recorder, events):
    Tocsin().add_rule(app, SkipAll())
    (nid,) = notify_many(["alice"], "comment", "Skipped")
    assert recorder.delivered == []
    assert created(events, "alice", nid)["quiet"] is True  # the row and badge still show
    assert held() == []  # a skip is not kept for later


# Mutes ------------------------------------------------------------------------------------


def test_a_muted_type_skips_that_channel_only_and_the_badge_counts_it(app, recorder, events):
    save("alice", channels={"comment": {"toast": False}})
    alices, bobs = notify_many(["alice", "bob"], "comment", "Muted for alice")
    assert created(events, "alice", alices)["quiet"] is True
    assert "quiet" not in created(events, "bob", bobs)
    assert sorted(recorder.delivered) == sorted(
        [(user_id("alice"), alices), (user_id("bob"), bobs)]
    )
    assert db.session.get(Notification, alices) is not None
    assert queries.unread_count(db.session, user_id("alice")) == 1
    assert held() == []
    decided = plan(app, ["alice", "bob"], ["toast", "browser"])
    assert decided.decisions["toast"] == {
        user_id("alice"): Decision.SKIP,
        user_id("bob"): Decision.DELIVER,
    }
    assert set(decided.decisions["browser"].values()) == {Decision.DELIVER}  # the other channel


def test_a_type_off_by_default_on_a_channel_is_skipped_there_until_chosen(app):
    # comment goes out on toast and browser until a user chooses; email is theirs to turn on.
    assert plan(app, ["alice"], ["email"]).decision("email", user_id("alice")) is Decision.SKIP
    save("alice", channels={"comment": {"email": True}})
    assert plan(app, ["alice"], ["email"]).decision("email", user_id("alice")) is Decision.DELIVER


def test_a_host_channel_is_never_muted_nor_held_by_preferences(app, recorder, clock):
    quiet_in_paris(channels={"comment": {"recorder": False}})
    (nid,) = notify_many(["alice"], "comment", "Still recorded")
    assert recorder.delivered == [(user_id("alice"), nid)]
    assert held() == [(user_id("alice"), nid, "toast", "quiet")]  # the toast only


# Low priority -----------------------------------------------------------------------------


def test_low_priority_gets_no_toast_and_is_not_held(app, recorder, events, clock):
    (nid,) = notify_many(["alice"], "like", "bob liked your post")
    assert created(events, "alice", nid)["quiet"] is True
    quiet_in_paris()
    (later,) = notify_many(["alice"], "comment", "A low one at night", priority="low")
    assert created(events, "alice", later)["quiet"] is True
    assert held() == []  # nothing to catch up on: it would never have toasted
    decided = plan(app, ["alice"], ["toast", "browser", "push", "recorder"], priority="low")
    assert decided.recipients("toast", Decision.SKIP) == [user_id("alice")]
    assert decided.recipients("browser", Decision.SKIP) == [user_id("alice")]
    assert decided.recipients("recorder") == [user_id("alice")]
    assert queries.unread_count(db.session, user_id("alice")) == 2


# Quiet hours and snooze -------------------------------------------------------------------


def test_quiet_hours_hold_the_toast_with_a_held_row(app, events, clock):
    quiet_in_paris()
    (nid,) = notify_many(["alice"], "comment", "At night")
    assert created(events, "alice", nid)["quiet"] is True
    assert held() == [(user_id("alice"), nid, "toast", "quiet")]
    assert queries.unread_count(db.session, user_id("alice")) == 1
    clock.move_to(NOON, tick=False)
    (day,) = notify_many(["alice"], "comment", "At noon")
    assert "quiet" not in created(events, "alice", day)
    assert len(held()) == 1


def test_quiet_hours_follow_the_users_timezone(app, events, clock):
    # 23:30 UTC is 18:30 in New York: not quiet there.
    save("alice", timezone="America/New_York", quiet_start="22:00", quiet_end="07:00")
    (nid,) = notify_many(["alice"], "comment", "Evening in New York")
    assert "quiet" not in created(events, "alice", nid) and held() == []


def test_a_snooze_holds_the_toast_until_it_runs_out(app, events, clock):
    snooze(minutes=30)
    (nid,) = notify_many(["alice", "bob"], "comment", "Snoozed for alice")[:1]
    assert created(events, "alice", nid)["quiet"] is True
    assert held() == [(user_id("alice"), nid, "toast", "snooze")]  # bob is not snoozed
    clock.shift(timedelta(minutes=31))
    (later,) = notify_many(["alice"], "comment", "Snooze over")
    assert "quiet" not in created(events, "alice", later) and len(held()) == 1


@pytest.mark.parametrize("through", [True, False])
def test_urgent_comes_through_quiet_hours_only_while_the_user_lets_it(app, events, clock, through):
    quiet_in_paris(urgent_through=through)
    (nid,) = notify_many(["alice"], "comment", "Server down", priority="urgent")
    event = created(events, "alice", nid)
    if through:
        assert "quiet" not in event and held() == []
        assert "sound" not in event  # never a sound in quiet hours
    else:
        assert event["quiet"] is True
        assert held() == [(user_id("alice"), nid, "toast", "quiet")]


# Sound ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "sounds"), [("low", False), ("normal", False), ("high", True), ("urgent", True)]
)
def test_high_and_urgent_sound_normal_does_not(app, events, priority, sounds):
    (nid,) = notify_many(["alice"], "comment", "Hi", priority=priority)
    assert created(events, "alice", nid).get("sound", False) is sounds


def test_no_sound_with_sound_off_or_while_paused(app, events, clock):
    save("alice", sound=False)
    snooze("bob")
    alices, bobs = notify_many(["alice", "bob"], "payment", "Paid")  # high by default
    assert created(events, "alice", alices) == {"kind": "created", "ids": [alices]}
    assert created(events, "bob", bobs)["quiet"] is True and "sound" not in created(
        events, "bob", bobs
    )
    clock.move_to(NOON, tick=False)
    save("alice", sound=True)
    (later,) = notify_many(["alice"], "payment", "Paid again")
    assert created(events, "alice", later)["sound"] is True


# The snapshot's missed toasts --------------------------------------------------------------


@pytest.fixture
def alices_socket(app):
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        conn = Connection(user_id("alice"), maxsize=8)
        conn.csrf_token = "token"
        yield conn


def publish(type_: str, count: int, **fields) -> list[int]:
    return [notify_many(["alice"], type_, title=f"n{i}", **fields)[0] for i in range(count)]


def test_missed_toasts_leave_out_a_muted_type(alices_socket):
    save("alice", channels={"comment": {"toast": False}})
    publish("comment", 2)
    mention = publish("mention", 1)
    snapshot = push.snapshot(db.session, alices_socket, since=0)
    assert [int(i) for i in TOAST_RE.findall(snapshot)] == mention
    assert 'data-count="3"' in snapshot  # the badge counts every row


def test_a_summary_of_missed_toasts_counts_only_unmuted_ones(alices_socket):
    save("alice", channels={"comment": {"toast": False}})
    mentions = publish("mention", 4)
    publish("comment", 5)
    snapshot = push.snapshot(db.session, alices_socket, since=0)
    assert "4 new notifications" in snapshot and 'data-count="9"' in snapshot
    assert TOAST_RE.findall(snapshot) == [] and f'id="toast-new-{mentions[-1]}"' in snapshot


def test_while_paused_only_critical_missed_toasts_show(alices_socket, clock):
    (security,) = publish("security", 1)  # the oldest: behind more held ones than are shown
    publish("comment", 5)
    publish("comment", 1, priority="urgent")
    snooze(minutes=60)
    save("alice", urgent_through=False)
    snapshot = push.snapshot(db.session, alices_socket, since=0)
    assert [int(i) for i in TOAST_RE.findall(snapshot)] == [security]
    assert "new notifications" not in snapshot


def test_while_paused_urgent_missed_toasts_show_if_let_through(alices_socket, clock):
    publish("comment", 2)
    urgent = publish("comment", 1, priority="urgent")
    quiet_in_paris()
    snapshot = push.snapshot(db.session, alices_socket, since=0)
    assert [int(i) for i in TOAST_RE.findall(snapshot)] == urgent


@pytest.mark.parametrize(
    "prefs",
    [
        {},
        {"channels": {"comment": {"toast": False}, "security": {"toast": False}}},
        {"snooze": True},
        {"snooze": True, "urgent_through": False, "channels": {"mention": {"toast": False}}},
        {"channels": {"retired_type": {"toast": False}, "breach": {"toast": False}}},
    ],
    ids=["defaults", "muted", "snoozed", "snoozed-no-urgent", "retired-muted"],
)
def test_the_snapshots_query_toasts_what_the_rules_would(app, clock, prefs):
    register_breach(app)
    for type_ in ("comment", "mention", "security", "breach", "system"):
        for priority in ("low", "normal", "high", "urgent"):
            notify_many(["alice"], type_, f"{type_} {priority}", priority=priority)
    # Rows of a type the app no longer has (and one the user once muted) still toast or not.
    retire = sa.update(Notification).where(Notification.type == "system")
    db.session.execute(retire.values(type="retired_type"))
    db.session.commit()
    if prefs.pop("snooze", False):
        snooze()
    if prefs:
        save("alice", **prefs)
    loaded = preferences.load(db.session, user_id("alice"))
    scope = toast_scope.toast_scope(loaded)
    everything = queries.toasting_between(db.session, user_id("alice"), 0, 10**6, 100)
    expected = [n.id for n in everything if toast_scope.toasts_now(loaded, n)]
    found = queries.toasting_between(db.session, user_id("alice"), 0, 10**6, 100, scope)
    assert [n.id for n in found] == expected
    assert sum(queries.toasting_counts(db.session, user_id("alice"), 0, 10**6, scope).values()) == (
        len(expected)
    )


def test_equal_preference_rows_share_one_preferences_and_others_do_not(app, events, clock):
    for name in ("carol", "dave"):
        users.create(db.session, name, "tocsin")
    for name in ("alice", "bob"):
        quiet_in_paris(name)
    save("carol", timezone="Europe/Paris", quiet_start="22:00", quiet_end="06:00")
    loaded = preferences.load_many(db.session, [user_id(n) for n in ("alice", "bob", "carol")])
    assert loaded[user_id("alice")] is loaded[user_id("bob")]
    assert loaded[user_id("carol")] is not loaded[user_id("alice")]
    assert loaded[user_id("carol")].quiet_end.hour == 6
    clock.move_to(NIGHT.replace(hour=5, minute=30) + timedelta(days=1), tick=False)  # 06:30
    ids = notify_many(["alice", "bob", "carol", "dave"], "payment", "Paid")
    by_name = dict(zip(("alice", "bob", "carol", "dave"), ids, strict=True))
    assert [name for name, nid in by_name.items() if created(events, name, nid).get("quiet")] == [
        "alice",
        "bob",
    ]
    assert created(events, "carol", by_name["carol"])["sound"] is True  # her quiet hours ended
    assert {h[0] for h in held()} == {user_id("alice"), user_id("bob")}
