"""The one publish pipeline: transactions, the policy stage and channels."""

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin import Channel, Decision, Delivery, Rule, Tocsin, notify, notify_many, state
from tocsin.extensions import db
from tocsin.models import ApiToken, Notification
from tocsin.notifications import queries

pytestmark = pytest.mark.usefixtures("ctx")


class Recorder(Channel):
    """A channel that keeps what it was asked to deliver."""

    name = "recorder"

    def __init__(self) -> None:
        self.delivered: list[tuple[int, int]] = []

    def deliver(self, deliveries):
        self.delivered += deliveries


class Broken(Channel):
    name = "broken"

    def deliver(self, deliveries):
        raise RuntimeError("smtp down")


class Mute(Rule):
    """Decide `decision` for one user on one channel; no opinion otherwise."""

    def __init__(self, user: int, channel: str, decision: Decision) -> None:
        self.user, self.channel, self.decision = user, channel, decision

    def decide(self, delivery: Delivery):
        if (delivery.recipient, delivery.channel) == (self.user, self.channel):
            return self.decision
        return None


@pytest.fixture
def recorder(app) -> Recorder:
    channel = Recorder()
    Tocsin().add_channel(app, channel)
    return channel


def rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification))


def token_row() -> ApiToken:
    return ApiToken(name="host change", prefix="x", token_hash="0" * 64)


def test_notify_neither_commits_nor_rolls_back_the_callers_changes(recorder):
    db.session.add(token_row())  # the host's own pending change
    n = notify("alice", "comment", "Hi")
    assert recorder.delivered == [(user_id("alice"), n.id)]  # stored and pushed on return
    db.session.rollback()  # the host changes its mind about its own change
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert rows() == 1 and queries.unread_count(db.session, user_id("alice")) == 1


def test_a_failed_notify_leaves_the_callers_changes_pending():
    db.session.add(token_row())
    with pytest.raises(ValueError, match="recipients: unknown 'zed'"):
        notify("zed", "comment", "Hi")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_in_the_callers_transaction_it_is_announced_on_commit_only(recorder):
    db.session.add(token_row())
    (nid,) = notify_many(["alice"], "comment", "Together", session=db.session)
    assert recorder.delivered == []  # not committed yet: nothing to push
    db.session.commit()
    assert recorder.delivered == [(user_id("alice"), nid)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_in_the_callers_transaction_a_rollback_drops_row_and_push(recorder):
    notify_many(["alice"], "comment", "Never", session=db.session)
    db.session.rollback()
    db.session.add(token_row())
    db.session.commit()  # a later, unrelated commit announces nothing
    assert recorder.delivered == [] and rows() == 0
    assert queries.unread_count(db.session, user_id("alice")) == 0


def test_policy_decides_per_recipient_and_channel_and_every_row_is_stored(app, recorder):
    alice, bob = user_id("alice"), user_id("bob")
    for decision in (Decision.SKIP, Decision.HOLD, Decision.COLLAPSE):
        Tocsin().add_rule(app, Mute(bob, "recorder", decision))
        ids = notify_many(["alice", "bob"], "comment", f"{decision}")
        assert recorder.delivered == [(alice, ids[0])], decision
        recorder.delivered.clear()
        state.of(app).policy.rules.clear()
    # Muted or not, the inbox is the record and the badge counts every unread row.
    assert rows() == 6 and queries.unread_count(db.session, bob) == 3


def test_the_first_rule_that_answers_decides(app, recorder):
    bob = user_id("bob")
    Tocsin().add_rule(app, Mute(bob, "elsewhere", Decision.SKIP))  # no opinion on recorder
    Tocsin().add_rule(app, Mute(bob, "recorder", Decision.DELIVER))
    Tocsin().add_rule(app, Mute(bob, "recorder", Decision.SKIP))
    (nid,) = notify_many(["bob"], "comment", "Hi")
    assert recorder.delivered == [(bob, nid)]


def test_a_failing_channel_loses_nothing_and_spares_the_others(app, recorder):
    state.of(app).channels.insert(0, Broken())
    n = notify("alice", "comment", "Still here")
    assert recorder.delivered == [(user_id("alice"), n.id)]
    assert rows() == 1


def test_an_action_handlers_reply_commits_and_rolls_back_with_the_action(recorder):
    from tocsin.notifications import service

    alice, bob = user_id("alice"), user_id("bob")
    request = service.create(db.session, alice, type="friend_request", title="Hi", actor="bob")
    recorder.delivered.clear()
    # A handler's reply, stored in the action's transaction: resolve_action commits both.
    (reply,) = notify_many(["bob"], "follow", "alice accepted", session=db.session)
    service.resolve_action(db.session, alice, request.id, "accept")
    assert recorder.delivered == [(bob, reply)]
    # A second click loses: its reply is rolled back with it, and never announced.
    notify_many(["bob"], "follow", "alice accepted again", session=db.session)
    with pytest.raises(service.ActionAlreadyTaken):
        service.resolve_action(db.session, alice, request.id, "decline")
    assert recorder.delivered == [(bob, reply)] and rows() == 2
