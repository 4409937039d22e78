"""At send time the policy decides again: a mute since skips; a pause defers an email to its
end and skips a push."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import user_id
from tocsin.channels import recheck
from tocsin.channels.outcomes import Defer, Skip
from tocsin.extensions import db
from tocsin.models import Delivery, Notification, Preference

pytestmark = pytest.mark.usefixtures("ctx")

#: 23:30 in New York (UTC-5 in January).
LATE = datetime(2026, 1, 15, 4, 30, tzinfo=UTC)
NOON = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)


def setup(channel="email", type_="payment", priority="high", **prefs):
    uid = user_id("alice")
    n = Notification(user_id=uid, type=type_, title="t", priority=priority)
    db.session.add(n)
    if prefs:
        db.session.add(Preference(user_id=uid, **prefs))
    db.session.commit()
    return Delivery(notification_id=n.id, user_id=uid, channel=channel), n


QUIET = {"timezone": "America/New_York", "quiet_start": "22:00", "quiet_end": "07:00"}


def test_nothing_changed_lets_it_go():
    delivery, n = setup()
    recheck.check(db.session, delivery, n, NOON)


def test_a_mute_since_the_publish_skips():
    delivery, n = setup(channels={"payment": {"email": False}})
    with pytest.raises(Skip, match="muted"):
        recheck.check(db.session, delivery, n, NOON)


def test_quiet_hours_now_defer_to_their_end_in_the_users_zone():
    delivery, n = setup(**QUIET)
    with pytest.raises(Defer) as deferred:
        recheck.check(db.session, delivery, n, LATE)
    assert deferred.value.until == datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # 07:00 EST
    recheck.check(db.session, delivery, n, NOON)  # outside them: goes


def test_an_open_snooze_defers_for_a_while_and_a_dated_one_to_its_end():
    until = NOON + timedelta(hours=2)
    delivery, n = setup(snoozed_at=NOON, snooze_until=until)
    with pytest.raises(Defer) as deferred:
        recheck.check(db.session, delivery, n, NOON + timedelta(minutes=1))
    assert deferred.value.until == until


def test_open_ended_snooze():
    delivery, n = setup(snoozed_at=NOON, snooze_until=None)
    with pytest.raises(Defer) as deferred:
        recheck.check(db.session, delivery, n, NOON)
    assert deferred.value.until == NOON + recheck.OPEN_ENDED


def test_a_pause_skips_a_push_instead_of_bursting_stale_ones_when_it_ends():
    delivery, n = setup(channel="push", type_="mention", **QUIET)
    with pytest.raises(Skip, match="quiet"):
        recheck.check(db.session, delivery, n, LATE)


def test_urgent_comes_through_when_the_user_lets_it_and_critical_always():
    delivery, n = setup(priority="urgent", **QUIET)
    recheck.check(db.session, delivery, n, LATE)
    db.session.query(Preference).update({"urgent_through": False})
    db.session.commit()
    with pytest.raises(Defer):
        recheck.check(db.session, delivery, n, LATE)
    critical = Notification(user_id=user_id("alice"), type="security", title="t", priority="high")
    db.session.add(critical)
    db.session.commit()
    recheck.check(db.session, delivery, critical, LATE)
