"""The catch-up: held toasts released as one summary, once, after quiet hours or a snooze."""

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import user_id
from tocsin import state
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.models import Held, Preference
from tocsin.notifications import catchup, service
from tocsin.notifications.sweeper import Sweeper

pytestmark = pytest.mark.usefixtures("ctx")

#: Quiet 22:00-07:00 in Berlin (UTC+1 in January).
NIGHT = datetime(2026, 1, 14, 23, 0, tzinfo=UTC)  # 00:00 local: quiet
STILL_NIGHT = datetime(2026, 1, 15, 5, 59, tzinfo=UTC)  # 06:59 local: quiet
MORNING = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)  # 07:00 local: quiet hours are over


@pytest.fixture
def published(app, monkeypatch) -> list[tuple[int, dict]]:
    """Every event published through the broker, in order (summaries and prefs only)."""
    events: list[tuple[int, dict]] = []
    broker = state.of(app).broker
    monkeypatch.setattr(broker, "publish", lambda uid, event: events.append((uid, event)))
    return events


def summaries(events) -> list[tuple[int, dict]]:
    return [(uid, e) for uid, e in events if e.get("kind") == "summary"]


def quiet_hours(name: str = "alice", start: str = "22:00", end: str = "07:00") -> int:
    uid = user_id(name)
    db.session.add(
        Preference(
            user_id=uid, timezone="Europe/Berlin", quiet_start=start, quiet_end=end, channels={}
        )
    )
    db.session.commit()
    return uid


def send(uid: int, at: datetime = NIGHT, **fields) -> int:
    fields = {"type": "comment", "title": "Ann replied", **fields}
    with time_machine.travel(at, tick=False):
        return service.create(db.session, uid, **fields).id


def held(uid: int | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(Held)
    if uid is not None:
        stmt = stmt.where(Held.user_id == uid)
    return db.session.scalar(stmt)


def test_quiet_hours_hold_toasts_and_the_end_releases_one_summary(published):
    alice = quiet_hours()
    ids = [send(alice, title=f"n{i}") for i in range(3)]
    assert held(alice) == 3
    assert catchup.release(db.session, alice, STILL_NIGHT) == 0  # still quiet: kept
    assert held(alice) == 3 and summaries(published) == []

    assert catchup.release(db.session, alice, MORNING) == 3
    assert held(alice) == 0
    assert summaries(published) == [
        (alice, {"kind": "summary", "count": 3, "reason": "quiet", "newest": max(ids)})
    ]
    assert catchup.release(db.session, alice, MORNING) == 0  # claimed: never twice
    assert len(summaries(published)) == 1


def test_the_count_is_the_held_notifications_still_unread(published):
    alice = quiet_hours()
    bob = user_id("bob")
    ids = [send(alice, title=f"n{i}") for i in range(4)]
    send(bob)  # bob has no quiet hours: toasted, not held, not counted
    urgent = send(alice, priority="urgent")  # came through: not held
    low = send(alice, priority="low")  # never toasts: not held
    service.mark_read(db.session, alice, ids[3])  # read meanwhile in another tab
    assert catchup.release(db.session, alice, MORNING) == 3
    assert summaries(published)[0][1]["newest"] == ids[2]
    assert urgent not in ids and low not in ids and held() == 0


def test_all_read_meanwhile_means_no_summary(published):
    alice = quiet_hours()
    nid = send(alice)
    service.mark_read(db.session, alice, nid)
    assert catchup.release(db.session, alice, MORNING) == 0
    assert held(alice) == 0 and summaries(published) == []


def test_a_snooze_says_paused_and_ends_with_the_sweep(published):
    alice = user_id("alice")
    db.session.add(
        Preference(
            user_id=alice,
            channels={},
            snoozed_at=NIGHT,
            snooze_until=NIGHT + timedelta(minutes=30),
        )
    )
    db.session.commit()
    nid = send(alice, at=NIGHT + timedelta(minutes=1))
    assert catchup.sweep(db.session, NIGHT + timedelta(minutes=29)).expired == []
    assert held(alice) == 1

    swept = catchup.sweep(db.session, NIGHT + timedelta(minutes=30))
    assert swept.expired == [alice] and swept.summaries == {alice: 1}
    assert published == [
        (alice, {"kind": "prefs"}),
        (alice, {"kind": "summary", "count": 1, "reason": "snooze", "newest": nid}),
    ]
    row = db.session.get(Preference, alice)
    assert row.snoozed_at is None and row.snooze_until is None
    # A second sweep, or another process's, finds nothing to do.
    assert catchup.sweep(db.session, NIGHT + timedelta(minutes=31)) == catchup.Swept()
    assert len(published) == 2


def test_a_snooze_until_resumed_is_not_expired_by_the_sweep(published):
    alice = user_id("alice")
    db.session.add(Preference(user_id=alice, channels={}, snoozed_at=NIGHT))
    db.session.commit()
    send(alice)
    assert catchup.sweep(db.session, NIGHT + timedelta(days=3)) == catchup.Swept()
    assert held(alice) == 1 and published == []


def test_the_sweep_releases_only_users_whose_pause_is_over(published):
    alice = quiet_hours()
    bob = quiet_hours("bob", "05:00", "09:00")  # 06:00-10:00 local: still quiet at 07:00
    send(alice)
    send(bob, at=MORNING - timedelta(minutes=30))
    with time_machine.travel(MORNING, tick=False):
        swept = catchup.sweep(db.session)  # the clock, not an argument
    assert swept.summaries == {alice: 1}
    assert held(alice) == 0 and held(bob) == 1
    assert [uid for uid, _ in summaries(published)] == [alice]


def test_a_failure_after_the_claim_loses_no_held_row(published, monkeypatch):
    alice = quiet_hours()
    send(alice)

    def broken(*args):
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection lost"))

    monkeypatch.setattr(catchup, "_unread", broken)
    with pytest.raises(sa.exc.OperationalError):
        catchup.release(db.session, alice, MORNING)
    assert held(alice) == 1 and published == []
    monkeypatch.undo()
    assert catchup.release(db.session, alice, MORNING) == 1


def test_an_apps_rule_holds_are_not_summarised(published):
    alice = user_id("alice")
    nid = send(alice)
    db.session.add(Held(user_id=alice, notification_id=nid, channel="toast", reason="rule"))
    db.session.add(Held(user_id=alice, notification_id=nid, channel="email", reason="quiet"))
    db.session.commit()
    assert catchup.sweep(db.session, MORNING) == catchup.Swept()
    assert held(alice) == 2 and published == []


def test_concurrent_releases_send_one_summary(app, published):
    alice = quiet_hours()
    ids = [send(alice, title=f"n{i}") for i in range(5)]
    threads, results = 4, []
    barrier = threading.Barrier(threads)

    def release():
        with app.app_context():
            try:
                barrier.wait()
                results.append(catchup.release(db.session, alice, MORNING))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=release) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(results) == [0, 0, 0, 5]
    assert summaries(published) == [
        (alice, {"kind": "summary", "count": 5, "reason": "quiet", "newest": max(ids)})
    ]


def test_concurrent_sweeps_end_a_snooze_once(app, published):
    alice = user_id("alice")
    db.session.add(Preference(user_id=alice, channels={}, snoozed_at=NIGHT, snooze_until=MORNING))
    db.session.commit()
    send(alice)
    barrier = threading.Barrier(3)

    def sweep():
        with app.app_context():
            try:
                barrier.wait()
                catchup.sweep(db.session, MORNING)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=sweep) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    kinds = sorted(e["kind"] for _, e in published)
    assert kinds == ["prefs", "summary"]


def test_the_cli_runs_one_sweep_and_says_what_it_did(app, runner, published):
    alice = quiet_hours()
    send(alice)
    send(alice)
    with time_machine.travel(MORNING, tick=False):
        result = runner.invoke(args=["tocsin", "catchup"])
    assert result.exit_code == 0, result.output
    assert f"user {alice}: summary of 2" in result.output
    assert "1 summaries, 0 snoozes ended, 0 failed" in result.output
    result = runner.invoke(args=["tocsin", "catchup"])
    assert "0 summaries" in result.output


def test_the_sweeper_logs_a_failure_and_carries_on(app, monkeypatch, caplog, published):
    alice = quiet_hours()
    send(alice)
    sweeper = Sweeper(app, 0)
    real_sweep = catchup.sweep

    def down(session, now=None):
        raise sa.exc.OperationalError("SELECT", {}, Exception("database down"))

    monkeypatch.setattr(catchup, "sweep", down)
    with caplog.at_level(logging.WARNING, "tocsin.notifications.sweeper"):
        assert sweeper.run_once() is None
        assert sweeper.run_once() is None
    # Only this thread's records: another thread (an app's flusher or sweeper that
    # outlived its test) may warn meanwhile, even from this logger.
    here = threading.get_ident()
    mine = [
        r for r in caplog.records if r.name == "tocsin.notifications.sweeper" and r.thread == here
    ]
    assert [r.levelname for r in mine] == ["ERROR", "WARNING"]
    assert "database down" in mine[1].getMessage()
    monkeypatch.setattr(catchup, "sweep", lambda session: real_sweep(session, MORNING))
    assert sweeper.run_once().summaries == {alice: 1}


def test_the_sweeper_thread_sweeps_and_stops(app, published):
    alice = quiet_hours()
    send(alice)
    Sweeper(app, 0).ensure_running()  # disabled: no thread
    assert held(alice) == 1
    sweeper = Sweeper(app, 3600)
    with time_machine.travel(MORNING):  # every thread's clock
        sweeper.ensure_running()
        sweeper.ensure_running()  # once per process
        thread = sweeper._thread
        # The first round runs at once, before the thread looks at the stop signal.
        sweeper.stop()
    assert thread is not None and not thread.is_alive()
    assert held(alice) == 0
    assert summaries(published) == [(alice, summaries(published)[0][1])]


def render_summary(event: dict) -> str:
    return push.render(db.session, Connection(1, 10), [event])


@pytest.mark.usefixtures("app")
def test_the_summary_toast(client):
    with client.application.test_request_context():
        html = render_summary({"kind": "summary", "count": 7, "reason": "quiet", "newest": 42})
    assert '<div id="toast-stack" hx-swap-oob="beforeend">' in html
    assert 'id="toast-summary-42"' in html and 'class="tocsin-toast' in html
    assert 'data-priority="normal"' in html and 'data-timeout="0"' in html
    assert "While quiet hours were on: 7 notifications" in html
    assert 'href="/notifications?state=unread"' in html
    assert 'aria-label="Dismiss: catch-up summary"' in html
    with client.application.test_request_context():
        one = render_summary({"kind": "summary", "count": 1, "reason": "snooze", "newest": 5})
        both = push.render(
            db.session,
            Connection(1, 10),
            [{"kind": "summary", "count": 1, "reason": "snooze", "newest": 5}] * 2,
        )
    assert "While notifications were paused: 1 notification<" in one
    assert both.count("toast-summary-5") == 1  # once per tab, even if told twice


def test_a_summary_in_a_batch_with_new_rows_is_rendered_too(client, published):
    alice = user_id("alice")
    nid = send(alice)  # no quiet hours: an ordinary row
    events = [
        {"kind": "created", "ids": [nid]},
        {"kind": "summary", "count": 2, "reason": "quiet", "newest": nid - 1},
    ]
    with client.application.test_request_context():
        html = push.render(db.session, Connection(alice, 10), events)
    assert f'id="notification-{nid}"' in html and f'id="toast-{nid}"' in html
    assert "While quiet hours were on: 2 notifications" in html
