"""Retention: the age rule, the cap, never an unread young row, exact counters, batches."""

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app import create_app
from tests.conftest import user_id
from tocsin import state
from tocsin.config import InvalidSetting
from tocsin.extensions import db
from tocsin.models import GroupMember, Held, Notification, Undo, UnreadCounter
from tocsin.notifications import prune_batches, queries, retention, service
from tocsin.notifications.sweeper import Sweeper

pytestmark = pytest.mark.usefixtures("ctx")

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def add(uid: int, days_ago: float, read: bool = True, archived: bool = False) -> int:
    """Insert one row of `uid` created `days_ago` before NOW; call in time order."""
    at = NOW - timedelta(days=days_ago)
    row = Notification(
        user_id=uid,
        type="comment",
        title=f"{days_ago} days ago",
        created_at=at,
        read_at=at if read or archived else None,
        archived_at=at if archived else None,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def recount(*uids: int) -> None:
    for uid in uids:
        service.recount_unread(db.session, uid)


def ids_of(uid: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Notification.id).where(Notification.user_id == uid).order_by(Notification.id)
        )
    )


def exact(uid: int) -> bool:
    """The badge equals the unread rows."""
    return queries.unread_count(db.session, uid) == queries.count_unread_rows(db.session, uid)


def prune(keep: int = 0, days: int = 90, **kw) -> retention.Pruned:
    return retention.prune(db.session, keep, days, now=NOW, **kw)


def test_the_age_rule_removes_old_read_and_archived_rows_only():
    alice = user_id("alice")
    old_read = add(alice, 120)
    old_archived = add(alice, 100, archived=True)
    old_unread = add(alice, 95, read=False)
    young_read = add(alice, 89)
    young_unread = add(alice, 1, read=False)
    recount(alice)
    done = prune(keep=0, days=90)
    assert (done.aged, done.capped, done.unread) == (2, 0, 0)
    assert ids_of(alice) == [old_unread, young_read, young_unread]
    assert old_read not in ids_of(alice) and old_archived not in ids_of(alice)
    assert exact(alice)
    assert prune(keep=0, days=90).rows == 0  # nothing left to do


def test_a_group_that_grew_recently_is_young_by_its_position():
    alice = user_id("alice")
    grown = add(alice, 200)
    add(alice, 10)
    # Grown yesterday: its sort_id is a fresh id, above every row created before.
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == grown)
        .values(sort_id=10_000, updated_at=NOW - timedelta(days=1), group_count=3)
    )
    db.session.commit()
    assert prune(days=90).aged == 0
    assert grown in ids_of(alice)


def test_the_cap_keeps_the_newest_rows_by_position():
    alice, bob = user_id("alice"), user_id("bob")
    rows = [add(alice, 50 - i) for i in range(6)]
    bobs = [add(bob, 5 - i) for i in range(3)]
    recount(alice, bob)
    done = prune(keep=3, days=90)
    assert (done.aged, done.capped) == (0, 3)
    assert ids_of(alice) == rows[3:]
    assert ids_of(bob) == bobs  # at the cap: untouched


def test_the_cap_never_removes_an_unread_young_row():
    alice = user_id("alice")
    unread = [add(alice, 30 - i, read=False) for i in range(3)]
    read = [add(alice, 20 - i) for i in range(3)]
    newest = [add(alice, 5 - i) for i in range(2)]
    recount(alice)
    done = prune(keep=2, days=90)
    # Beyond the newest two: three unread young rows stay, three read ones go, so alice
    # keeps five rows with a cap of two.
    assert (done.capped, done.unread) == (3, 0)
    assert ids_of(alice) == unread + newest
    assert queries.unread_count(db.session, alice) == 3
    assert exact(alice)
    assert read[0] not in ids_of(alice)


def test_an_old_unread_row_past_the_cap_goes_and_the_counter_follows():
    alice = user_id("alice")
    old_unread = [add(alice, 200 - i, read=False) for i in range(4)]
    young = [add(alice, 10 - i, read=False) for i in range(2)]
    recount(alice)
    assert queries.unread_count(db.session, alice) == 6
    done = prune(keep=2, days=90)
    assert (done.aged, done.capped, done.unread) == (0, 4, 4)
    assert ids_of(alice) == young
    assert queries.unread_count(db.session, alice) == 2
    assert exact(alice)
    assert old_unread[0] not in ids_of(alice)


def test_without_a_cap_an_old_unread_row_stays():
    alice = user_id("alice")
    kept = add(alice, 300, read=False)
    recount(alice)
    assert prune(keep=0, days=90).rows == 0
    assert ids_of(alice) == [kept]


def test_group_members_held_rows_and_expired_undo_go_with_them():
    alice = user_id("alice")
    old = add(alice, 100)
    young = add(alice, 1)
    for nid in (old, old, young):
        db.session.add(GroupMember(notification_id=nid, user_id=alice, title="t", created_at=NOW))
        db.session.add(Held(user_id=alice, notification_id=nid, channel="toast", reason="quiet"))
    db.session.add(Undo(id="gone", user_id=alice, action="delete", payload={}, expires_at=NOW))
    late = NOW + timedelta(seconds=5)
    db.session.add(Undo(id="kept", user_id=alice, action="delete", payload={}, expires_at=late))
    db.session.commit()
    done = prune(days=90)
    assert (done.aged, done.members, done.held, done.undo) == (1, 2, 2, 0)
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        undone = retention.prune(db.session, 0, 90)
    assert undone.undo == 1
    assert db.session.scalars(sa.select(Undo.id)).all() == ["kept"]
    assert db.session.scalars(sa.select(GroupMember.notification_id)).all() == [young]
    assert db.session.scalars(sa.select(Held.notification_id)).all() == [young]


def test_each_batch_is_its_own_short_transaction():
    alice = user_id("alice")
    for i in range(7):
        add(alice, 200 - i)
    add(alice, 1)
    commits: list[int] = []

    def committed(conn) -> None:
        commits.append(1)

    sa.event.listen(db.engine, "commit", committed)
    try:
        done = prune(days=90, batch_size=3)
    finally:
        sa.event.remove(db.engine, "commit", committed)
    assert done.aged == 7
    assert done.batches == 3  # 3 + 3 + 1 rows
    assert len(commits) == 3
    assert len(done.batch_seconds) == 3 and done.longest <= done.seconds


def test_sqlite_rests_between_batches_so_a_waiting_writer_gets_in(monkeypatch):
    alice = user_id("alice")
    for i in range(7):
        add(alice, 200 - i)
    rests: list[float] = []
    monkeypatch.setattr(prune_batches.time, "sleep", rests.append)
    done = prune(days=90, batch_size=3)
    assert done.batches == 3
    if db.engine.dialect.name == "sqlite":
        assert rests == [retention.SQLITE_PAUSE] * 2  # between batches, not after the last
    else:
        assert rests == []  # PostgreSQL queues lock waiters


def test_a_dry_run_counts_what_a_real_run_removes():
    alice, bob = user_id("alice"), user_id("bob")
    for i in range(3):
        add(bob, 200 - i, read=False)  # old unread past bob's cap: they go, counted unread
    for i in range(5):
        add(alice, 150 - i)  # aged
    for i in range(4):
        add(alice, 80 - i, read=(i % 2 == 0))  # past the cap: 2 read go, 2 unread young stay
    for i in range(3):
        add(alice, 3 - i)
        add(bob, 3 - i)
    recount(alice, bob)
    before = ids_of(alice) + ids_of(bob)
    dry = prune(keep=3, days=90, dry_run=True)
    assert ids_of(alice) + ids_of(bob) == before
    real = prune(keep=3, days=90)
    assert (dry.aged, dry.capped, dry.unread) == (real.aged, real.capped, real.unread) == (5, 5, 3)
    assert exact(alice) and exact(bob)


def test_a_row_marked_unread_after_it_was_picked_is_left_alone(monkeypatch):
    alice = user_id("alice")
    picked = add(alice, 10)
    add(alice, 1)
    recount(alice)
    real_remove = prune_batches._remove

    def marked_unread_meanwhile(session, report, batch, start):
        # Another request, in its own transaction, as marking unread does it.
        with db.engine.begin() as other:
            other.execute(
                sa.update(Notification).where(Notification.id == picked).values(read_at=None)
            )
            other.execute(
                sa.update(UnreadCounter)
                .where(UnreadCounter.user_id == alice)
                .values(unread=UnreadCounter.unread + 1)
            )
        return real_remove(session, report, batch, start)

    monkeypatch.setattr(prune_batches, "_remove", marked_unread_meanwhile)
    done = prune(keep=1, days=90)
    assert done.capped == 0
    assert picked in ids_of(alice)
    assert exact(alice)


def test_the_cli_prints_what_it_removed(runner):
    alice = user_id("alice")
    add(alice, 120)
    add(alice, 100, archived=True)
    add(alice, 1)
    with time_machine.travel(NOW, tick=False):
        dry = runner.invoke(args=["tocsin", "prune", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "would remove 2 read or archived notifications (older than 90 days)" in dry.output
        result = runner.invoke(args=["tocsin", "prune", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "removed 2 read or archived notifications (older than 90 days)" in result.output
    assert "removed 0 notifications (beyond 1000 per user), 0 of them unread" in result.output
    assert "2 batches of at most 1 rows" in result.output
    assert len(ids_of(alice)) == 1


@pytest.mark.parametrize(
    "args", [["--keep", "-1"], ["--days", "many"], ["--batch-size", "0"], ["--nope"]]
)
def test_the_cli_refuses_bad_input_with_exit_code_2(runner, args):
    add(user_id("alice"), 120)
    result = runner.invoke(args=["tocsin", "prune", *args])
    assert result.exit_code == 2
    assert "Error" in result.output
    assert len(ids_of(user_id("alice"))) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [("KEEP_PER_USER", "lots"), ("RETENTION_DAYS", "-1"), ("PRUNE_INTERVAL", "1.5")],
)
def test_a_bad_setting_stops_the_start_with_its_name(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(f"TOCSIN_{name}", value)
    with pytest.raises(InvalidSetting, match=f"TOCSIN_{name}='{value}': give a whole number"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_settings_have_defaults_and_a_host_may_give_strings(app, tmp_path):
    assert app.config["TOCSIN_KEEP_PER_USER"] == 1000
    assert app.config["TOCSIN_RETENTION_DAYS"] == 90
    assert app.config["TOCSIN_PRUNE_INTERVAL"] == 3600
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/y.db",
            "TOCSIN_KEEP_PER_USER": "100",
        }
    )
    assert other.config["TOCSIN_KEEP_PER_USER"] == 100
    assert state.of(other).sweeper.prune_interval == 3600


def test_the_sweeper_thread_prunes_and_survives_a_failure(app, monkeypatch, caplog):
    alice = user_id("alice")
    add(alice, 120)
    add(alice, 1)
    Sweeper(app, 0, 0).ensure_running()  # both off: no thread
    sweeper = Sweeper(app, 0, 3600)
    with time_machine.travel(NOW):  # every thread's clock
        sweeper.ensure_running()
        thread = sweeper._thread
        sweeper.stop()  # the first round runs at once
    assert thread is not None and not thread.is_alive()
    assert len(ids_of(alice)) == 1

    def down(*args, **kwargs):
        raise sa.exc.OperationalError("DELETE", {}, Exception("database down"))

    monkeypatch.setattr(retention, "prune", down)
    with caplog.at_level(logging.WARNING, "tocsin.notifications.sweeper"):
        assert sweeper.prune_once() is None
        assert sweeper.prune_once() is None
    # Only this thread's records: another thread (an app's flusher or sweeper that
    # outlived its test) may warn meanwhile, even from this logger.
    here = threading.get_ident()
    mine = [
        r for r in caplog.records if r.name == "tocsin.notifications.sweeper" and r.thread == here
    ]
    assert [r.levelname for r in mine] == ["ERROR", "WARNING"]
    assert "database down" in mine[1].getMessage()


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_one_process_prunes_at_a_time_on_postgresql():
    add(user_id("alice"), 120)
    with db.engine.connect() as other:
        assert other.scalar(sa.select(sa.func.pg_try_advisory_lock(retention.ADVISORY_LOCK)))
        assert retention.prune_exclusively(db.session, 0, 90) is None
        other.scalar(sa.select(sa.func.pg_advisory_unlock(retention.ADVISORY_LOCK)))
    with time_machine.travel(NOW, tick=False):
        done = retention.prune_exclusively(db.session, 0, 90)
    assert done is not None and done.aged == 1
