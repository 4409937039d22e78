"""A queued channel stages its delivery rows in the publish's transaction: only where the
policy, the escalation chain and reachability agree, and never when the publish rolls back."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin import Decision, Rule, Tocsin, state
from tocsin.channels.base import QueuedChannel
from tocsin.extensions import db
from tocsin.models import Delivery, Notification, Preference
from tocsin.notifications import pipeline
from tocsin.notifications.escalation import Step
from tocsin.notifications.service import clean
from tocsin.notifications.types import NotificationType

pytestmark = pytest.mark.usefixtures("ctx")


class Recording(QueuedChannel):
    """A queued channel that reaches only `reach` and records the enqueues it would make."""

    def __init__(self, name: str, reach: set[int] | None = None) -> None:
        self.name = name
        self.reach = reach

    def reachable(self, session, user_ids):
        return [u for u in user_ids if self.reach is None or u in self.reach]


class Off(Rule):
    def __init__(self, user: int, channel: str) -> None:
        self.user, self.channel = user, channel

    def decide(self, delivery):
        if (delivery.recipient, delivery.channel) == (self.user, self.channel):
            return Decision.SKIP
        return None


@pytest.fixture
def enqueued(app, monkeypatch):
    calls: list[tuple[list[int], object]] = []
    monkeypatch.setattr(
        state.of(app).queue, "enqueue", lambda ids, eta=None: calls.append((list(ids), eta))
    )
    return calls


def publish(names, **fields):
    fields.setdefault("title", "Paid")
    ids = pipeline.publish(db.session, [user_id(n) for n in names], clean(**fields))
    return ids


def deliveries() -> list[Delivery]:
    return list(db.session.scalars(sa.select(Delivery).order_by(Delivery.id)))


def test_rows_are_staged_for_reachable_recipients_and_enqueued_after_the_commit(app, enqueued):
    alice = user_id("alice")
    Tocsin().add_channel(app, Recording("email", reach={alice}))
    app.config["TOCSIN_EMAIL_DELAY"] = 600
    ids = publish(["alice", "bob"], type="payment")  # high, email on by default
    staged = deliveries()
    assert [(d.user_id, d.channel, d.state, d.attempts) for d in staged] == [
        (alice, "email", "queued", 0)
    ]
    assert staged[0].notification_id == ids[0]
    assert not enqueued, "nothing is enqueued before the commit"
    db.session.commit()
    created = db.session.get_one(Notification, ids[0]).created_at
    assert staged[0].due_at - created == pytest.approx(
        timedelta(seconds=600), abs=timedelta(seconds=2)
    )
    assert enqueued == [([staged[0].id], staged[0].due_at)]


def test_a_rollback_stages_nothing_and_enqueues_nothing(app, enqueued):
    Tocsin().add_channel(app, Recording("email"))
    publish(["alice"], type="payment")
    db.session.rollback()
    assert deliveries() == [] and enqueued == []


def test_a_type_without_the_channel_on_stages_nothing(app, enqueued):
    Tocsin().add_channel(app, Recording("email"))
    publish(["alice"], type="comment")  # toast and browser only
    db.session.commit()
    assert deliveries() == []


def test_a_muted_channel_stages_nothing_for_that_user(app, enqueued):
    Tocsin().add_channel(app, Recording("email"))
    Tocsin().add_rule(app, Off(user_id("alice"), "email"))
    publish(["alice", "bob"], type="payment")
    db.session.commit()
    assert [d.user_id for d in deliveries()] == [user_id("bob")]


def test_low_priority_has_no_step(app, enqueued):
    Tocsin().add_channel(app, Recording("email"))
    publish(["alice"], type="payment", priority="low")
    db.session.commit()
    assert deliveries() == []


def test_a_types_own_chain_and_delay_are_used(app, enqueued):
    Tocsin().register_type(
        app,
        NotificationType(
            "deploy",
            "system",
            "Deploy",
            channels=("toast", "push"),
            escalation=(Step("push", timedelta(seconds=30)),),
        ),
    )
    Tocsin().add_channel(app, Recording("push"))
    (nid,) = publish(["alice"], type="deploy")
    db.session.commit()
    (row,) = deliveries()
    created = db.session.get_one(Notification, nid).created_at
    assert row.channel == "push"
    assert row.due_at - created == pytest.approx(timedelta(seconds=30), abs=timedelta(seconds=2))
    assert enqueued == [([row.id], row.due_at)]


def test_a_normal_email_step_yields_to_the_users_digest(app, enqueued):
    Tocsin().add_channel(app, Recording("email"))
    db.session.add(Preference(user_id=user_id("alice"), digest="daily"))
    db.session.commit()
    publish(["alice", "bob"], type="order")  # normal, email on by default
    db.session.commit()
    assert [d.user_id for d in deliveries()] == [user_id("bob")]


def test_the_unique_pair_refuses_a_second_row_for_the_same_channel(app, enqueued):
    Tocsin().add_channel(app, Recording("email"))
    (nid,) = publish(["alice"], type="payment")
    db.session.commit()
    db.session.add(Delivery(notification_id=nid, user_id=user_id("alice"), channel="email"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
