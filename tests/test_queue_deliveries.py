"""Deliveries through a real Huey (SqliteHuey in tmp): sent once, retried, dead, skipped.

A Recorder channel (tests/queue_support.py) stands in for push and email: it records
each attempt and raises the outcomes a test gives it. Both databases."""

import random
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import queue_support
from tocsin import state
from tocsin.channels import deliveries, delivery_record
from tocsin.channels.outcomes import Permanent, Retry, Skip
from tocsin.channels.queue import JOB_SIZE
from tocsin.extensions import db
from tocsin.models import Delivery, Notification, utcnow


@pytest.fixture
def recorder(app, tmp_path):
    return queue_support.install(app, tmp_path / "attempts.log")


def publish(notify, name="alice") -> int:
    """Publish one "queued_test" notification; return its delivery's id."""
    nid = notify(name, type="queued_test", title="Build failed")
    return db.session.scalars(sa.select(Delivery.id).where(Delivery.notification_id == nid)).one()


def drain(app, now=None) -> int:
    """Run every job the app's Huey holds (and those scheduled by `now`); return how many."""
    huey = state.of(app).queue.huey
    ran = 0
    for task in huey.read_schedule(now or utcnow().replace(tzinfo=None) + timedelta(days=1)):
        huey.enqueue(task)
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def row(delivery_id: int) -> Delivery:
    db.session.expire_all()
    return db.session.get_one(Delivery, delivery_id)


def later(delivery_id: int):
    """A moment past the row's due time (a retry's backoff)."""
    return row(delivery_id).due_at + timedelta(seconds=1)


def test_backoff_grows_exponentially_within_jitter_bounds():
    random.seed(13)
    for attempts in range(1, 12):
        ceiling = min(delivery_record.MAX_BACKOFF, 30 * 2 ** (attempts - 1))
        waits = [delivery_record.backoff(attempts, 30) for _ in range(200)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits), attempts
        assert max(waits) - min(waits) > ceiling / 4  # jittered, not in step
    assert delivery_record.backoff(1, 30) <= 30
    assert delivery_record.backoff(30, 30) <= delivery_record.MAX_BACKOFF


def test_a_publish_is_delivered_once_by_a_job(app, ctx, notify, recorder):
    delivery_id = publish(notify)
    assert row(delivery_id).state == "queued"
    assert drain(app) == 1
    assert recorder.attempts() == [delivery_id]
    done = row(delivery_id)
    assert (done.state, done.attempts, done.claimed_until) == ("sent", 1, None)
    assert done.sent_at is not None


def test_a_duplicated_task_sends_once(app, ctx, notify, recorder):
    delivery_id = publish(notify)
    queue = state.of(app).queue
    assert queue.enqueue([delivery_id]) and queue.enqueue([delivery_id, delivery_id])
    assert drain(app) == 3
    assert recorder.attempts() == [delivery_id]
    assert row(delivery_id).state == "sent"


def test_a_task_run_again_after_success_sends_nothing(app, ctx, notify, recorder):
    delivery_id = publish(notify)
    drain(app)
    assert deliveries.run(db.session, delivery_id) is None
    state.of(app).queue.enqueue([delivery_id])
    drain(app)
    assert recorder.attempts() == [delivery_id]


def test_two_threads_running_one_delivery_attempt_it_once(app, ctx, notify, tmp_path):
    recorder = queue_support.install(app, tmp_path / "attempts.log", hold=0.3)
    delivery_id = publish(notify)
    start = threading.Barrier(2)
    results = []

    def worker():
        with app.app_context():
            start.wait()
            results.append(deliveries.run(db.session, delivery_id))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert recorder.attempts() == [delivery_id]
    assert sorted(results, key=repr) == [delivery_record.Done("sent"), None]
    assert row(delivery_id).attempts == 1


def test_retry_backs_off_then_sends(app, ctx, notify, tmp_path):
    recorder = queue_support.install(app, tmp_path / "a.log", [Retry("421 try later")])
    delivery_id = publish(notify)
    before = utcnow()
    drain(app, now=utcnow().replace(tzinfo=None))  # the retry's job is scheduled, not due
    failed = row(delivery_id)
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 1, "421 try later")
    base = app.config["TOCSIN_RETRY_BASE"]
    assert before + timedelta(seconds=base / 2) <= failed.due_at
    assert failed.due_at <= utcnow() + timedelta(seconds=base)
    # The retry's job run early (a retried or duplicated task) finds it not due.
    assert deliveries.run(db.session, delivery_id) is None
    assert recorder.attempts() == [delivery_id]
    assert deliveries.run(db.session, delivery_id, now=later(delivery_id)) == delivery_record.Done(
        "sent"
    )
    assert recorder.attempts() == [delivery_id, delivery_id]
    assert (row(delivery_id).state, row(delivery_id).attempts) == ("sent", 2)


def test_the_scheduled_retry_job_sends_it(app, ctx, notify, tmp_path):
    recorder = queue_support.install(app, tmp_path / "a.log", [Retry("busy", after=0)])
    delivery_id = publish(notify)
    drain(app)  # the attempt, then its retry, due at once
    assert recorder.attempts() == [delivery_id, delivery_id]
    assert row(delivery_id).state == "sent"


def test_retry_after_is_honoured(app, ctx, notify, tmp_path):
    queue_support.install(app, tmp_path / "a.log", [Retry("429", after=120)])
    delivery_id = publish(notify)
    before = utcnow()
    deliveries.run(db.session, delivery_id)
    due = row(delivery_id).due_at
    assert before + timedelta(seconds=120) <= due <= utcnow() + timedelta(seconds=120)


def test_dead_after_the_last_attempt(app, ctx, notify, tmp_path):
    app.config["TOCSIN_DELIVERY_ATTEMPTS"] = 3
    recorder = queue_support.install(app, tmp_path / "a.log", [Retry("503")] * 5)
    delivery_id = publish(notify)
    outcomes = [deliveries.run(db.session, delivery_id, now=later(delivery_id)) for _ in range(4)]
    assert [o.state if o else None for o in outcomes] == ["failed", "failed", "dead", None]
    assert len(recorder.attempts()) == 3
    dead = row(delivery_id)
    assert (dead.state, dead.attempts, dead.last_error) == ("dead", 3, "503")


def test_permanent_is_dead_after_one_try(app, ctx, notify, tmp_path):
    recorder = queue_support.install(app, tmp_path / "a.log", [Permanent("550 no such user")])
    delivery_id = publish(notify)
    drain(app)
    assert deliveries.run(db.session, delivery_id, now=utcnow() + timedelta(days=1)) is None
    assert recorder.attempts() == [delivery_id]
    dead = row(delivery_id)
    assert (dead.state, dead.attempts, dead.last_error) == ("dead", 1, "550 no such user")


def test_skip_and_a_crash_are_recorded(app, ctx, notify, tmp_path):
    queue_support.install(app, tmp_path / "a.log", [Skip("no device"), RuntimeError("bug")])
    skipped, crashed = publish(notify), publish(notify)
    drain(app, now=utcnow().replace(tzinfo=None))
    assert (row(skipped).state, row(skipped).last_error) == ("skipped", "no device")
    assert (row(crashed).state, row(crashed).last_error) == ("failed", "RuntimeError: bug")


def test_read_before_due_is_skipped_without_an_attempt(app, ctx, notify, recorder):
    delivery_id = publish(notify)
    db.session.execute(sa.update(Notification).values(read_at=utcnow()))
    db.session.commit()
    drain(app)
    assert recorder.attempts() == []
    assert row(delivery_id).state == "skipped"


def test_a_worker_whose_lease_ran_out_records_nothing(app, ctx, notify, recorder):
    """Worker 1 claims and stalls past its lease; worker 2 claims and sends; worker 1's
    outcome, recorded late, changes nothing."""
    delivery_id = publish(notify)
    db.session.execute(sa.update(Delivery).values(due_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    stale = deliveries.claim(db.session, delivery_id, utcnow() - deliveries.LEASE * 2)
    assert stale is not None
    lease = delivery_record.Lease(delivery_id, stale.claimed_until, stale.attempts)
    assert deliveries.run(db.session, delivery_id) == delivery_record.Done("sent")
    delivery_record.finish(db.session, lease, "dead", "late")
    assert (row(delivery_id).state, row(delivery_id).attempts) == ("sent", 2)


@pytest.mark.usefixtures("ctx")
def test_a_fan_out_is_enqueued_in_jobs_the_workers_share(app):
    """One job per JOB_SIZE rows: a job of 10,000 would run on one worker thread."""
    queue = state.of(app).queue
    ids = list(range(1, 2 * JOB_SIZE + 2))
    assert queue.enqueue(ids)
    jobs = []
    while (task := queue.huey.dequeue()) is not None:
        jobs.append(task.args[0])
    assert [len(j) for j in jobs] == [JOB_SIZE, JOB_SIZE, 1]
    assert [i for job in jobs for i in job] == ids
