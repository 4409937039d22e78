"""Web Push end to end: subscribe through the route, publish, and a worker's attempt
against a push service on localhost that decrypts the payload and checks VAPID."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tests.push_service import PushService
from tocsin import login_session, logins
from tocsin.channels import deliveries, delivery_record, push, vapid
from tocsin.extensions import db
from tocsin.models import Delivery, PushSubscription, utcnow


@pytest.fixture
def service(app):
    with PushService() as running:
        app.config["TOCSIN_PUSH_ALLOWED_HOSTS"] = running.host
        yield running
    assert not running.errors, running.errors


def subscribe(alice, service, name: str):
    device = service.device(name)
    response = alice.client.post(
        "/notifications/push/subscribe",
        json=device.subscription(service.origin),
        headers={"X-CSRFToken": alice.csrf()},
    )
    assert response.status_code == 201, response.text
    return device


def publish(notify, **fields) -> int:
    """Publish a message to alice (a type on push by default); return its push delivery."""
    nid = notify(**{"type": "message", **fields})
    rows = db.session.scalars(
        sa.select(Delivery.id).where(Delivery.notification_id == nid, Delivery.channel == "push")
    ).all()
    assert len(rows) == 1
    return rows[0]


def run(app, delivery_id: int, now=None):
    with app.app_context():
        done = deliveries.run(db.session, delivery_id, now)
        row = db.session.get(Delivery, delivery_id)
        return done, row


def test_one_delivery_through_201_429_503_and_410(app, alice, service, notify, ctx):
    subscribe(alice, service, "phone")
    # 201: sent, decrypted by the service, VAPID good, headers set.
    first = publish(
        notify,
        title="Build failed",
        body="main is red",
        url="/builds/7",
        priority="urgent",
        group_key="build-7",
    )
    done, row = run(app, first)
    assert done.state == "sent" and row.state == "sent"
    (got,) = service.received
    assert got.payload == {
        "title": "Build failed",
        "body": "main is red",
        "url": "/builds/7",
        "id": row.notification_id,
        "tag": got.payload["tag"],
        "urgent": True,
    }
    assert got.vapid_key == vapid.public_key(app)
    assert got.claims["aud"] == service.origin
    assert got.headers["ttl"] == str(24 * 3600)
    assert got.headers["urgency"] == "high"  # urgent has no Urgency of its own
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", got.headers["topic"])
    assert got.payload["tag"] == "tocsin-" + got.headers["topic"]
    assert "build-7" not in str(got.headers)  # the topic names no group
    assert db.session.scalar(sa.select(PushSubscription.last_used_at)) is not None

    # 429 with Retry-After: failed, due exactly then (no backoff of its own).
    second = publish(notify, title="Deploy waiting", priority="high")
    service.answer(429, Retry_After="120")
    before = utcnow()
    done, row = run(app, second)
    assert done.state == "failed" and "429" in row.last_error
    assert before + timedelta(seconds=119) <= done.due_at <= utcnow() + timedelta(seconds=121)

    # 503 on the retry: failed again, due after the backoff (attempt 2: 30-60 s).
    service.answer(503)
    at = done.due_at
    done, row = run(app, second, now=at)
    assert done.state == "failed" and row.attempts == 2 and "503" in row.last_error
    wait = (done.due_at - utcnow()).total_seconds()
    assert 29 <= wait <= 61, wait

    # 410: the subscription is gone, its row deleted, and with none left: skipped.
    service.answer(410)
    done, row = run(app, second, now=done.due_at)
    assert done.state == "skipped"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    assert len(service.received) == 4
    assert [r.headers["urgency"] for r in service.received[1:]] == ["high"] * 3


def test_413_is_dead_at_once(app, alice, service, notify, ctx):
    subscribe(alice, service, "laptop")
    delivery = publish(notify, title="Too big for them")
    service.answer(413)
    done, row = run(app, delivery)
    assert done.state == "dead" and row.attempts == 1 and "413" in row.last_error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 1


def test_one_device_taking_it_is_sent_and_the_others_are_not_retried(
    app, alice, service, notify, ctx
):
    subscribe(alice, service, "phone")
    subscribe(alice, service, "laptop")
    delivery = publish(notify, title="Two devices")
    service.answer(503)  # the first device subscribed (lowest id) fails
    service.answer(201)
    done, _ = run(app, delivery)
    assert done.state == "sent"
    assert [r.device for r in service.received] == ["phone", "laptop"]
    assert run(app, delivery, now=utcnow() + timedelta(hours=2))[0] is None  # nothing to redo


def test_no_device_took_it_retries_with_the_longest_retry_after(app, alice, service, notify, ctx):
    subscribe(alice, service, "phone")
    subscribe(alice, service, "laptop")
    delivery = publish(notify, title="Both busy")
    service.answer(429, Retry_After="30")
    service.answer(429, Retry_After="99999")  # capped at the longest backoff
    done, _ = run(app, delivery)
    assert done.state == "failed"
    assert (done.due_at - utcnow()).total_seconds() <= delivery_record.MAX_BACKOFF


def test_a_push_service_that_is_down_is_retried(app, alice, notify, ctx):
    with PushService() as gone:
        app.config["TOCSIN_PUSH_ALLOWED_HOSTS"] = gone.host
        subscribe(alice, gone, "phone")
    delivery = publish(notify, title="Nobody listening")
    done, row = run(app, delivery)
    assert done.state == "failed" and "unreachable" in row.last_error


def test_only_subscribed_users_get_push_rows(app, alice, service, notify, ctx):
    subscribe(alice, service, "phone")
    channel = push.PushChannel()
    bob = user_id("bob")
    assert channel.reachable(db.session, [bob, user_id("alice")]) == [user_id("alice")]
    nid = notify("bob", type="message", title="Bob has no device")
    assert db.session.scalar(sa.select(Delivery).where(Delivery.notification_id == nid)) is None


def test_a_huge_body_is_cut_to_fit_the_payload_cap(app, alice, service, notify, ctx):
    subscribe(alice, service, "phone")
    delivery = publish(notify, title="🔥" * 200, body="😀" * 2000, url="/" + "x" * 2000)
    assert run(app, delivery)[0].state == "sent"
    (got,) = service.received
    assert got.size <= push.PAYLOAD_MAX
    assert got.payload["body"].endswith("…") and got.payload["title"] == "🔥" * 200


def test_a_device_whose_login_ended_gets_no_push_and_goes(app, alice, service, notify, ctx):
    """A shared browser must not show the next user the last one's notifications."""
    kept, ended = subscribe(alice, service, "kept"), subscribe(alice, service, "ended")
    endpoint = {d.name: f"{service.origin}/push/{d.name}" for d in (kept, ended)}
    with app.app_context():
        other = logins.start(db.session, user_id("alice"), login_session.lifetime(app))
        db.session.execute(
            sa.update(PushSubscription)
            .where(PushSubscription.endpoint == endpoint["ended"])
            .values(login_id=other)
        )
        db.session.commit()
        logins.end(db.session, other)  # that browser logged out
    delivery = publish(notify)
    done, _ = run(app, delivery)
    assert done.state == "sent"
    assert [r.device for r in service.received] == [kept.name]
    with app.app_context():
        left = db.session.scalars(sa.select(PushSubscription.endpoint)).all()
    assert left == [endpoint["kept"]]
    alice.client.post("/logout", data={"csrf_token": alice.csrf()})
    done, row = run(app, publish(notify))
    assert done.state == "skipped" and "login" in row.last_error
