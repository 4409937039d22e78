"""Rate limits that collapse, never drop: past the limit a notification is stored, counted
and held (reason "rate"), and once the window ends the catch-up sends one summary."""

import logging
import re
import threading
import time

import pytest
import sqlalchemy as sa
from flask_login import login_user

from app import create_app, users
from tests.conftest import user_id
from tocsin import Channel, Tocsin, config, notify_many, state
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.models import Held
from tocsin.notifications import catchup, queries, ratelimit, service, snooze
from tocsin.notifications.built_in_rules import RateLimited
from tocsin.notifications.ratelimit import InvalidRateLimit, RateLimiter
from tocsin.notifications.types import NotificationType

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture(params=["memory", "redis"])
def storage(request) -> tuple[str | None, str]:
    """(TOCSIN_REDIS_URL, key prefix): memory, or the real Redis with a prefix of its own."""
    if request.param == "memory":
        return None, "tocsin"
    return request.getfixturevalue("redis_url"), request.getfixturevalue("channel_prefix")


def window(storage) -> int:
    """A short window: Redis counts its TTLs in whole seconds, so give it a few."""
    return 1 if storage[0] is None else 3


def limit(app, value: str, storage=(None, "tocsin")) -> RateLimiter:
    """Give `app` the rate limit `value`, as TOCSIN_RATE_LIMIT would."""
    limiter = RateLimiter(value, *storage)
    state.of(app).policy.rate = RateLimited(limiter)
    return limiter


@pytest.fixture
def events(app, monkeypatch) -> list[tuple[int, dict]]:
    """Every event the broker was asked to publish, in order."""
    seen: list[tuple[int, dict]] = []
    broker = state.of(app).broker
    monkeypatch.setattr(broker, "publish", lambda uid, event: seen.append((uid, event)))
    monkeypatch.setattr(broker, "publish_many", lambda pairs: seen.extend(pairs))
    return seen


def send(uid: int, count: int = 1, type: str = "comment") -> list[int]:
    return [service.create(db.session, uid, type=type, title=f"n{i}").id for i in range(count)]


def toasted(events, uid: int) -> list[int]:
    """The ids whose "created" event toasts (not quiet)."""
    return [
        e["ids"][0] for u, e in events if u == uid and e["kind"] == "created" and not e.get("quiet")
    ]


def quiet(events, uid: int) -> list[int]:
    return [
        e["ids"][0] for u, e in events if u == uid and e["kind"] == "created" and e.get("quiet")
    ]


def summaries(events) -> list[tuple[int, dict]]:
    return [(uid, e) for uid, e in events if e["kind"] == "summary"]


def held(uid: int) -> list[tuple[int, str, str]]:
    rows = db.session.execute(
        sa.select(Held.notification_id, Held.channel, Held.reason)
        .where(Held.user_id == uid)
        .order_by(Held.notification_id)
    )
    return [tuple(r) for r in rows]


# --- the setting ----------------------------------------------------------------------


def test_the_default_is_ten_a_minute_and_empty_turns_it_off(monkeypatch):
    monkeypatch.delenv("TOCSIN_RATE_LIMIT")
    assert config.Config().TOCSIN_RATE_LIMIT == "10/minute"
    assert [str(i) for i in RateLimiter("10/minute", None, "t").per_user] == ["10 per 1 minute"]
    assert RateLimiter("", None, "t").per_user == ()
    assert RateLimiter("10 per 5 seconds", None, "t").per_user[0].get_expiry() == 5


def test_a_bad_value_stops_the_app_at_start_up(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(InvalidRateLimit, match="TOCSIN_RATE_LIMIT: 'ten a minute'"):
        create_app({"SECRET_KEY": "x", "TOCSIN_RATE_LIMIT": "ten a minute"})


def test_a_types_bad_limit_is_an_error_where_it_is_declared():
    with pytest.raises(InvalidRateLimit, match="type 'chatty': rate_limit"):
        NotificationType("chatty", "comment", "Chatty", rate_limit="lots")


# --- the rule -------------------------------------------------------------------------


def test_under_the_limit_every_toast_goes_out(app, events, storage):
    limit(app, "3/minute", storage)
    alice = user_id("alice")
    ids = send(alice, 3)
    assert toasted(events, alice) == ids
    assert held(alice) == []


def test_over_the_limit_is_stored_counted_and_held_not_toasted(app, events, storage):
    limit(app, "3/minute", storage)
    alice, bob = user_id("alice"), user_id("bob")
    ids = send(alice, 5)
    send(bob)  # bob has his own allowance
    assert toasted(events, alice) == ids[:3]
    assert quiet(events, alice) == ids[3:]  # still pushed: the badge and lists update
    assert len(toasted(events, bob)) == 1
    assert queries.unread_count(db.session, alice) == 5
    assert held(alice) == [(nid, "toast", "rate") for nid in ids[3:]]


def test_a_fan_out_counts_each_recipient_once(app, events, storage):
    limit(app, "2/minute", storage)
    alice, bob = user_id("alice"), user_id("bob")
    send(alice, 2)
    notify_many([alice, bob], type="comment", title="to both")
    assert len(toasted(events, alice)) == 2 and len(quiet(events, alice)) == 1
    assert len(toasted(events, bob)) == 1 and held(bob) == []


def test_critical_types_are_exempt_and_use_no_allowance(app, events):
    limit(app, "2/minute")
    alice = user_id("alice")
    critical = send(alice, 4, type="security")
    assert toasted(events, alice) == critical and held(alice) == []
    assert len(toasted(events, alice)) == 4
    send(alice, 2)  # the allowance is untouched
    assert len(toasted(events, alice)) == 6 and held(alice) == []


def test_a_muted_toast_uses_no_allowance(app, events):
    limit(app, "1/minute")
    alice = user_id("alice")
    send(alice, 3, type="like")  # low priority: badge and list only, never a toast
    assert toasted(events, alice) == [] and held(alice) == []
    send(alice)
    assert len(toasted(events, alice)) == 1


def test_a_types_own_limit_counts_per_user_and_type(app, events, storage):
    limit(app, "10/minute", storage)
    state.of(app).types.add(NotificationType("build", "system", "Build", rate_limit="1/minute"))
    alice = user_id("alice")
    builds = send(alice, 3, type="build")
    comments = send(alice, 2)
    assert toasted(events, alice) == [builds[0], *comments]
    assert held(alice) == [(nid, "toast", "rate") for nid in builds[1:]]


def test_redis_down_means_delivered_not_failed(app, events, caplog):
    limit(app, "1/minute", ("redis://127.0.0.1:9/0", "tocsin"))
    alice = user_id("alice")
    with caplog.at_level(logging.WARNING, logger=ratelimit.__name__):
        ids = send(alice, 3)
    assert toasted(events, alice) == ids and held(alice) == []
    assert queries.unread_count(db.session, alice) == 3
    assert "delivering without limits" in caplog.text
    # The sweep does not fail either; it falls back to the window's length.
    assert catchup.sweep(db.session).failed == []


def test_a_fan_out_is_one_redis_round_trip_per_thousand_recipients(redis_url, channel_prefix):
    limiter = RateLimiter("2/minute", redis_url, channel_prefix)
    client = limiter.storage.get_connection()  # type: ignore[attr-defined]
    executed = []
    pipeline = client.pipeline

    def counting(*args, **kwargs):
        pipe = pipeline(*args, **kwargs)
        execute = pipe.execute
        pipe.execute = lambda *a, **k: executed.append(1) or execute(*a, **k)
        return pipe

    client.pipeline = counting
    users = list(range(1, 2501))
    assert limiter.over(users, "comment") == set()
    assert len(executed) == 3
    limiter.over(users, "comment")
    assert limiter.over(users[:10], "comment") == set(users[:10])


# --- the collapse ---------------------------------------------------------------------


def test_when_the_window_ends_one_summary_releases_the_held(app, events, storage):
    limit(app, f"3 per {window(storage)} second", storage)
    alice = user_id("alice")
    ids = send(alice, 8)
    running = catchup.sweep(db.session)
    assert running.summaries == {} and running.quiet == []  # not even tried: the window runs
    assert len(held(alice)) == 5
    time.sleep(window(storage) + 0.1)
    swept = catchup.sweep(db.session)
    assert swept.summaries == {alice: 5}
    assert summaries(events) == [
        (alice, {"kind": "summary", "count": 5, "reason": "rate", "newest": ids[-1]})
    ]
    assert held(alice) == []
    assert catchup.sweep(db.session).summaries == {}  # once


def test_rows_held_in_a_later_window_wait_for_that_window(app, events):
    limiter = limit(app, "2 per 1 second")
    alice = user_id("alice")
    first = send(alice, 3)
    time.sleep(1.05)
    second = send(alice, 3)  # a new window: two toast, one held
    assert toasted(events, alice) == [*first[:2], *second[:2]]
    assert catchup.sweep(db.session).summaries == {alice: 1}
    assert held(alice) == [(second[2], "toast", "rate")]
    assert limiter.per_user  # the same limiter all along
    time.sleep(1.05)
    assert catchup.sweep(db.session).summaries == {alice: 1}
    assert [e["newest"] for _, e in summaries(events)] == [first[2], second[2]]


def test_the_summary_counts_only_the_held_still_unread(app, events):
    limit(app, "1 per 1 second")
    alice = user_id("alice")
    ids = send(alice, 4)
    service.mark_read(db.session, alice, ids[1])
    time.sleep(1.05)
    assert catchup.sweep(db.session).summaries == {alice: 2}


def test_two_releasers_race_and_one_summary_goes_out(app, events, storage):
    limit(app, f"1 per {window(storage)} second", storage)
    alice = user_id("alice")
    ids = send(alice, 6)
    time.sleep(window(storage) + 0.1)
    threads, results = 4, []
    barrier = threading.Barrier(threads)

    def release():
        with app.app_context():
            try:
                barrier.wait()
                results.append(catchup.release(db.session, alice))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=release) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(results) == [0, 0, 0, 5]
    assert summaries(events) == [
        (alice, {"kind": "summary", "count": 5, "reason": "rate", "newest": ids[-1]})
    ]


def test_a_pause_names_the_summary_and_holds_the_release(app, events):
    """While quiet hours or a snooze are on, nothing is released; a rate hold released with
    a pause's says the pause."""
    limit(app, "1 per 1 second")
    alice = user_id("alice")
    send(alice, 2)  # one held by the rate limit
    snooze.snooze(db.session, alice, None)
    send(alice)  # held by the snooze (the rate limit is not asked)
    assert [r for _, _, r in held(alice)] == ["rate", "snooze"]
    time.sleep(1.05)
    assert catchup.sweep(db.session).summaries == {}  # still snoozed
    snooze.resume(db.session, alice)
    assert catchup.release(db.session, alice) == 2
    assert [e["reason"] for _, e in summaries(events)] == ["snooze"]
    assert held(alice) == []


def test_a_tab_that_missed_the_burst_toasts_only_what_was_let_through(app, events):
    limit(app, "2/minute")
    alice = user_id("alice")
    ids = send(alice, 5)
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        conn = Connection(alice, maxsize=8)
        conn.csrf_token = "token"
        snapshot = push.snapshot(db.session, conn, since=0)
    assert [int(i) for i in re.findall(r'id="toast-(\d+)"', snapshot)] == ids[:2]


@pytest.mark.usefixtures("app")
def test_the_rate_summary_says_how_many_more(client):
    with client.application.test_request_context():
        many = push.render(
            db.session,
            Connection(1, 10),
            [{"kind": "summary", "count": 12, "reason": "rate", "newest": 42}],
        )
        one = push.render(
            db.session,
            Connection(1, 10),
            [{"kind": "summary", "count": 1, "reason": "rate", "newest": 43}],
        )
    assert ">12 more notifications<" in many and 'data-reason="rate"' in many
    assert 'id="toast-summary-42"' in many and 'data-timeout="0"' in many
    assert ">1 more notification<" in one


class Recorder(Channel):
    """A host channel that keeps its holds (Channel.keeps_holds): browser, push and email
    do not, as nothing would release them."""

    name = "sms"

    def __init__(self) -> None:
        self.delivered: list[tuple[int, int]] = []

    def deliver(self, deliveries):
        self.delivered += deliveries


def test_other_channels_are_held_too_and_left_for_their_digest(app, events):
    """A channel that keeps holds (Channel.keeps_holds) has its own left for it; push and
    email do not keep them (nothing would release them)."""
    limit(app, "1 per 1 second")
    recorder = Recorder()
    recorder.keeps_holds = True
    Tocsin().add_channel(app, recorder)
    alice = user_id("alice")
    ids = send(alice, 3)
    assert recorder.delivered == [(alice, ids[0])]
    assert set(held(alice)) == {
        (nid, channel, "rate") for nid in ids[1:] for channel in ("sms", "toast")
    }
    time.sleep(1.05)
    assert catchup.sweep(db.session).summaries == {alice: 2}
    assert held(alice) == [(nid, "sms", "rate") for nid in ids[1:]]  # the digest's


def test_processes_sharing_redis_share_the_count(redis_url, channel_prefix):
    """Two limiters (two processes' or machines') on one Redis count together."""
    one = RateLimiter("3/minute", redis_url, channel_prefix)
    other = RateLimiter("3/minute", redis_url, channel_prefix)
    assert one.over([1, 2], "comment") == set()
    assert other.over([1], "comment") == set()
    assert one.over([1], "comment") == set()
    assert other.over([1, 2], "comment") == {1}  # 4 for user 1, 2 for user 2
    separate = RateLimiter("3/minute", redis_url, f"{channel_prefix}-another-app")
    assert separate.over([1], "comment") == set()
