"""`flask tocsin deliveries`: the listing, `retry ID` and `sweep`."""

from datetime import timedelta

import sqlalchemy as sa

from tests import queue_support
from tests.test_queue_deliveries import drain, publish, row
from tocsin import state
from tocsin.channels.outcomes import Permanent, Retry
from tocsin.extensions import db
from tocsin.models import Delivery, utcnow


def test_the_listing_shows_each_delivery_newest_first(app, ctx, runner, notify, tmp_path):
    queue_support.install(app, tmp_path / "a.log", [Permanent("550 mailbox unavailable")])
    dead, sent = publish(notify), publish(notify)
    drain(app)
    lines = runner.invoke(args=["tocsin", "deliveries"]).output.splitlines()
    assert lines[0].split()[:6] == ["id", "notif", "user", "channel", "state", "tries"]
    assert [line.split()[0] for line in lines[1:]] == [str(sent), str(dead)]
    assert "recorder" in lines[2] and "dead" in lines[2] and "550 mailbox unavailable" in lines[2]
    failed = runner.invoke(args=["tocsin", "deliveries", "--failed"]).output.splitlines()
    assert [line.split()[0] for line in failed[1:]] == [str(dead)]
    limited = runner.invoke(args=["tocsin", "deliveries", "--limit", "1"]).output.splitlines()
    assert len(limited) == 2


def test_an_empty_listing_says_so(runner):
    assert runner.invoke(args=["tocsin", "deliveries", "--failed"]).output == (
        "no failed deliveries\n"
    )
    assert runner.invoke(args=["tocsin", "deliveries", "--limit", "0"]).exit_code == 2


def test_retry_puts_a_dead_delivery_back_and_it_is_sent(app, ctx, runner, notify, tmp_path):
    recorder = queue_support.install(app, tmp_path / "a.log", [Permanent("550")])
    delivery_id = publish(notify)
    drain(app)
    assert row(delivery_id).state == "dead"
    result = runner.invoke(args=["tocsin", "deliveries", "retry", str(delivery_id)])
    assert result.exit_code == 0, result.output
    assert result.output == f"delivery {delivery_id} enqueued\n"
    queued = row(delivery_id)
    assert (queued.state, queued.attempts) == ("queued", 0)
    assert queued.due_at <= utcnow()
    drain(app)
    assert recorder.attempts() == [delivery_id, delivery_id]
    assert row(delivery_id).state == "sent"


def test_retry_a_failed_one_now(app, ctx, runner, notify, tmp_path):
    queue_support.install(app, tmp_path / "a.log", [Retry("421")])
    delivery_id = publish(notify)
    drain(app, now=utcnow().replace(tzinfo=None))
    assert row(delivery_id).due_at > utcnow()
    assert runner.invoke(args=["tocsin", "deliveries", "retry", str(delivery_id)]).exit_code == 0
    assert row(delivery_id).due_at <= utcnow()


def test_retry_refuses_unknown_sent_and_busy_ones(app, ctx, runner, notify, tmp_path):
    queue_support.install(app, tmp_path / "a.log", [None, Retry("421")])
    sent, failed = publish(notify), publish(notify)
    drain(app, now=utcnow().replace(tzinfo=None))
    cases = {
        "99999": "no delivery 99999",
        str(sent): f"delivery {sent} is sent: only a failed or dead one can be retried",
    }
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == failed)
        .values(claimed_until=utcnow() + timedelta(minutes=1))
    )
    db.session.commit()
    cases[str(failed)] = f"delivery {failed} is being attempted right now"
    for delivery_id, message in cases.items():
        result = runner.invoke(args=["tocsin", "deliveries", "retry", delivery_id])
        assert (result.exit_code, result.output) == (2, f"Error: {message}\n")


def test_retry_with_the_queue_down_leaves_it_to_the_sweep(app, ctx, runner, notify, tmp_path):
    queue_support.install(app, tmp_path / "a.log", [Permanent("550")])
    delivery_id = publish(notify)
    drain(app)
    state.of(app).queue._down_until = float("inf")
    result = runner.invoke(args=["tocsin", "deliveries", "retry", str(delivery_id)])
    assert result.exit_code == 0 and "the sweep will enqueue it" in result.output
    assert row(delivery_id).state == "queued"


def test_sweep_once(app, ctx, runner, notify, tmp_path):
    queue_support.install(app, tmp_path / "a.log")
    publish(notify)
    state.of(app).queue.huey.flush()
    db.session.execute(sa.update(Delivery).values(due_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert runner.invoke(args=["tocsin", "deliveries", "sweep"]).output == "enqueued 1 deliveries\n"
    assert drain(app) == 1
