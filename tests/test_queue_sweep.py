"""The sweep: a lost enqueue (the queue was down at publish) is delivered later, once."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import queue_support
from tests.test_queue_deliveries import drain, publish, row
from tocsin import state
from tocsin.channels import deliveries, sweep
from tocsin.channels.queue import Queue
from tocsin.extensions import db
from tocsin.models import Delivery, utcnow


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def queue_on(app, redis_url: str | None) -> Queue:
    """A Queue for `app` on Redis at `redis_url` (None: SqliteHuey in the instance folder)."""
    saved = app.config["TOCSIN_REDIS_URL"]
    app.config["TOCSIN_REDIS_URL"] = redis_url
    try:
        return Queue(app)
    finally:
        app.config["TOCSIN_REDIS_URL"] = saved


def backdate(minutes: int = 5) -> None:
    db.session.execute(sa.update(Delivery).values(due_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def test_a_lost_enqueue_is_swept_and_delivered_once(app, ctx, notify, tmp_path):
    recorder = queue_support.install(app, tmp_path / "attempts.log")
    down = state.of(app).queue = queue_on(app, f"redis://127.0.0.1:{closed_port()}/0")
    delivery_id = publish(notify)  # the publish succeeds; its enqueue is lost
    assert row(delivery_id).state == "queued"
    assert not down.enqueue([delivery_id])  # and the next tries do not even dial
    pool = down.huey.storage.pool.connection_kwargs
    assert pool["socket_connect_timeout"] and pool["retry"].get_retries() == 0
    up = state.of(app).queue = queue_on(app, None)
    assert drain(app) == 0  # nothing reached the queue
    backdate()  # later: the sweep finds it
    assert sweep.sweep(db.session, up.enqueue) == 1
    assert sweep.sweep(db.session, up.enqueue) == 1  # a second sweep before any worker ran
    assert drain(app) == 2
    assert recorder.attempts() == [delivery_id]
    assert row(delivery_id).state == "sent"
    assert sweep.sweep(db.session, up.enqueue) == 0


def test_the_periodic_task_sweeps(app, ctx, notify, tmp_path):
    recorder = queue_support.install(app, tmp_path / "attempts.log")
    huey = state.of(app).queue.huey
    delivery_id = publish(notify)
    huey.flush()  # the job is lost
    backdate()
    periodic = [t for t in huey.read_periodic(datetime(2026, 1, 1)) if "sweep" in t.name]
    assert len(periodic) == 1
    huey.execute(periodic[0])
    drain(app)
    assert recorder.attempts() == [delivery_id]


def test_rows_whose_claim_ran_out_are_swept_and_live_claims_are_not(app, ctx, notify, tmp_path):
    queue_support.install(app, tmp_path / "attempts.log")
    abandoned, held, fresh = publish(notify), publish(notify), publish(notify)
    backdate(minutes=deliveries.LEASE.seconds // 60 * 3)
    now = utcnow()
    assert deliveries.claim(db.session, abandoned, now - deliveries.LEASE * 2) is not None
    assert deliveries.claim(db.session, held, now) is not None
    db.session.execute(sa.update(Delivery).where(Delivery.id == fresh).values(due_at=now))
    db.session.commit()
    assert sweep.due(db.session, now) == [abandoned]  # fresh: its own job has time yet


def test_done_and_future_rows_are_not_swept(app, ctx, notify, tmp_path):
    queue_support.install(app, tmp_path / "attempts.log")
    sent, future = publish(notify), publish(notify)
    deliveries.run(db.session, sent)
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == future)
        .values(due_at=utcnow() + timedelta(hours=1))
    )
    db.session.commit()
    assert sweep.due(db.session, utcnow() + timedelta(minutes=5)) == []


@pytest.mark.parametrize("available", [True, False])
def test_the_sweep_enqueues_in_batches_and_stops_when_the_queue_refuses(
    app, ctx, monkeypatch, available
):
    monkeypatch.setattr(sweep, "BATCH", 3)
    now = utcnow()
    deliveries.stage(db.session, "recorder", [(1, n) for n in range(1, 8)], now)
    db.session.commit()
    jobs = []

    def enqueue(ids):
        jobs.append(list(ids))
        return available

    swept = sweep.sweep(db.session, enqueue, now + timedelta(minutes=1))
    assert [len(j) for j in jobs] == ([3, 3, 1] if available else [3])
    assert swept == (7 if available else 0)


@pytest.mark.parametrize(
    ("seconds", "fires_at_minutes"),
    [(60, list(range(10))), (30, list(range(10))), (90, [0, 2, 4, 6, 8]), (300, [0, 5])],
)
def test_every_rounds_up_to_whole_minutes(seconds, fires_at_minutes):
    validate = sweep.every(seconds)
    hour = datetime(2026, 3, 1, 10, 0)
    assert [m for m in range(10) if validate(hour + timedelta(minutes=m))] == fires_at_minutes
    aware = hour.replace(tzinfo=UTC) + timedelta(minutes=fires_at_minutes[1])
    assert validate(aware)
