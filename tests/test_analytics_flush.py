"""The recorder's flush: upserts per (day, type, channel, event) on both databases, in
concurrent processes' order without deadlocks, put back when the database is down, raw
events on or off, and the raw events' retention."""

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import create_app
from tocsin import state
from tocsin.analytics import flush, recorder
from tocsin.analytics.recorder import Hit, Recorder
from tocsin.extensions import db
from tocsin.models import AnalyticsDaily, AnalyticsEvent, utcnow
from tocsin.notifications import retention


def daily() -> dict[tuple[str, str, str], int]:
    rows = db.session.execute(
        sa.select(
            AnalyticsDaily.type, AnalyticsDaily.channel, AnalyticsDaily.event, AnalyticsDaily.count
        )
    )
    db.session.rollback()
    return {(t, c, e): n for t, c, e, n in rows}


def hits(n: int, type_: str = "comment") -> list[Hit]:
    return [Hit(i, 1, type_) for i in range(1, n + 1)]


def test_a_flush_upserts_the_counts_and_adds_to_earlier_ones(app, ctx):
    rec = Recorder()
    rec.record("sent", "live", hits(3))
    rec.record("read", "live", hits(1))
    rec.record_many("sent", "email", "comment", [(1, 10), (2, 11)])
    done = flush.flush(db.session, rec)
    assert done == flush.Flushed(keys=3, raw=0)
    rec.record("sent", "live", hits(2))
    flush.flush(db.session, rec)
    assert daily() == {
        ("comment", "live", "sent"): 5,
        ("comment", "live", "read"): 1,
        ("comment", "email", "sent"): 2,
    }
    assert flush.flush(db.session, rec) == flush.Flushed()  # nothing held: no write


def test_unknown_events_are_refused(app, ctx):
    with pytest.raises(ValueError, match="unknown analytics event"):
        Recorder().record("opened", "live", hits(1))


def test_concurrent_flushes_from_several_recorders_add_up(app, ctx, database_url):
    """Each thread stands for a process: its own recorder and session, the same keys
    recorded in opposite orders; sorted upserts never deadlock and nothing is lost."""
    types = [f"type{i}" for i in range(20)]
    engine = db.engine
    errors: list[BaseException] = []

    def run(order: list[str]) -> None:
        rec = Recorder()
        try:
            for _ in range(5):
                for type_ in order:
                    rec.record("sent", "live", hits(2, type_))
                with Session(engine) as session:
                    flush.flush(session, rec)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(o,)) for o in (types, types[::-1]) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert daily() == {(t, "live", "sent"): 4 * 5 * 2 for t in types}


class Down(Exception):
    pass


def test_a_failed_flush_puts_the_counts_back(app, ctx, monkeypatch):
    rec = Recorder()
    rec.keep_raw = True
    rec.record("sent", "live", hits(3))

    def fail(*args, **kwargs):
        raise Down("database down")

    monkeypatch.setattr(flush, "write", fail)
    with pytest.raises(Down):
        flush.flush(db.session, rec)
    rec.record("sent", "live", hits(1))  # more arrives meanwhile
    monkeypatch.undo()
    assert flush.flush(db.session, rec) == flush.Flushed(keys=1, raw=4)
    assert daily() == {("comment", "live", "sent"): 4}


def test_what_is_kept_while_the_database_is_down_is_bounded(monkeypatch):
    monkeypatch.setattr(recorder, "MAX_RAW", 5)
    monkeypatch.setattr(recorder, "MAX_KEYS", 2)
    rec = Recorder()
    rec.keep_raw = True
    rec.record("sent", "live", hits(4))
    counts, raw = rec.take()
    rec.record("sent", "live", hits(3, "other"))
    rec.record("read", "live", hits(1, "third"))
    rec.put_back(counts, raw)
    counts, raw = rec.take()
    # The newest keys and raw events stay: the taken key's 4 counts and 3 raw rows go.
    assert len(raw) == 5 and {k[1] for k in counts} == {"other", "third"}
    assert rec.dropped == 4 + 3


def test_the_flusher_survives_a_failure_and_flushes_later(app, ctx, monkeypatch):
    rec = state.of(app).analytics
    rec.record("acted", "live", hits(2))
    flusher = flush.Flusher(app, rec, interval=0, at_exit=False)
    monkeypatch.setattr(flush, "write", lambda *a: (_ for _ in ()).throw(Down("down")))
    assert flusher.flush_now() is None
    monkeypatch.undo()
    assert flusher.flush_now() == flush.Flushed(keys=1, raw=0)
    assert daily() == {("comment", "live", "acted"): 2}


def test_the_flush_thread_starts_with_the_first_event(app, ctx):
    rec = Recorder()
    flusher = flush.Flusher(app, rec, interval=3600, at_exit=False)
    rec.on_first_record = flusher.ensure_running
    rec.record("sent", "live", hits(1))
    try:
        assert flusher._thread is not None and flusher._thread.is_alive()
    finally:
        flusher.stop()  # flushes what is left on the way out
    assert daily() == {("comment", "live", "sent"): 1}


@pytest.mark.parametrize("keep_raw", [False, True])
def test_raw_events_are_written_only_when_asked(app, ctx, keep_raw):
    rec = Recorder()
    rec.keep_raw = keep_raw
    rec.record("read", "live", [Hit(7, 3, "comment")])
    rec.record_many("sent", "push", "mention", [(3, 8), (4, 9)])
    flush.flush(db.session, rec)
    found = db.session.execute(
        sa.select(
            AnalyticsEvent.notification_id, AnalyticsEvent.user_id, AnalyticsEvent.event
        ).order_by(AnalyticsEvent.notification_id)
    ).all()
    assert [tuple(r) for r in found] == (
        [(7, 3, "read"), (8, 3, "sent"), (9, 4, "sent")] if keep_raw else []
    )


def test_raw_events_past_their_retention_are_pruned_in_batches(app, ctx):
    now = utcnow()
    old, young = now - timedelta(days=31), now - timedelta(days=29)
    rows = [
        {
            "notification_id": i,
            "user_id": 1,
            "type": "comment",
            "channel": "live",
            "event": "read",
            "created_at": at,
        }
        for i, at in enumerate([old] * 5 + [young] * 2)
    ]
    db.session.execute(sa.insert(AnalyticsEvent), rows)
    db.session.add(
        AnalyticsDaily(day=date(2020, 1, 1), type="comment", channel="live", event="read", count=5)
    )
    db.session.commit()
    dry = retention.prune(db.session, 0, 0, dry_run=True, analytics_days=30)
    assert dry.events == 5
    done = retention.prune(db.session, 0, 0, batch_size=2, analytics_days=30, pause=0)
    assert done.events == 5 and done.batches == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsEvent)) == 2
    assert daily() == {("comment", "live", "read"): 5}  # the daily counts stay
    assert retention.prune(db.session, 0, 0, analytics_days=0).events == 0


def test_the_settings_are_checked_at_start(app):
    with pytest.raises(ValueError, match="TOCSIN_ANALYTICS_RETENTION_DAYS"):
        create_app({"TESTING": True, "TOCSIN_ANALYTICS_RETENTION_DAYS": "a month"})


def test_the_periodic_prune_and_the_cli_remove_old_raw_events(app, runner):
    def old_event() -> None:
        with app.app_context():
            db.session.add(
                AnalyticsEvent(
                    notification_id=1,
                    user_id=1,
                    type="comment",
                    channel="live",
                    event="read",
                    created_at=utcnow() - timedelta(days=40),
                )
            )
            db.session.commit()

    old_event()
    assert state.of(app).sweeper.prune_once().events == 1  # TOCSIN_ANALYTICS_RETENTION_DAYS=30
    old_event()
    result = runner.invoke(args=["tocsin", "prune"])
    assert result.exit_code == 0 and "1 raw analytics events" in result.output


def test_the_exit_flush_says_in_one_line_what_it_could_not_write(app, ctx, monkeypatch, caplog):
    """At exit a database that cannot take the counts loses them: one warning, no
    traceback (a test run's last app exits after its schema is dropped)."""
    rec = Recorder()
    rec.record("sent", "live", hits(2))
    flusher = flush.Flusher(app, rec, interval=0, at_exit=False)
    monkeypatch.setattr(flush, "write", lambda *a: (_ for _ in ()).throw(Down("down")))
    flusher.flush_at_exit()
    lines = [r for r in caplog.records if r.name.startswith("tocsin")]
    assert [r.getMessage() for r in lines] == ["analytics: 2 events not written at exit (Down)"]
    assert lines[0].exc_info is None
