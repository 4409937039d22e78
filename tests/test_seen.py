"""Seen: rows stamped once, the user's own only, the unseen counter moved, the tabs told."""

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin import broker, state
from tocsin.extensions import db
from tocsin.models import Notification, UnreadCounter
from tocsin.notifications import seen, service
from tocsin.notifications.publish import notify_many

pytestmark = pytest.mark.usefixtures("ctx")


def unseen(name: str = "alice") -> int:
    row = db.session.get(UnreadCounter, user_id(name))
    db.session.commit()
    return row.unseen if row is not None else 0


def seen_at(nid: int):
    value = db.session.get(Notification, nid).seen_at
    db.session.commit()
    return value


def test_mark_seen_stamps_the_users_unseen_rows_once_and_moves_the_counter():
    alice, bob = user_id("alice"), user_id("bob")
    ids = notify_many([alice] * 1, "comment", "one") + notify_many([alice], "comment", "two")
    (bobs,) = notify_many([bob], "comment", "bob's")
    assert unseen() == 2
    assert seen.mark_seen(db.session, alice, [*ids, bobs, 999_999]) == sorted(ids)
    first = seen_at(ids[0])
    assert first is not None and seen_at(bobs) is None  # another user's id: ignored
    assert unseen() == 0 and unseen("bob") == 1
    assert seen.mark_seen(db.session, alice, ids) == []  # a repeat changes nothing
    assert seen_at(ids[0]) == first and unseen() == 0


def test_a_read_row_is_stamped_but_not_counted_twice():
    alice = user_id("alice")
    (nid,) = notify_many([alice], "comment", "one")
    service.mark_read(db.session, alice, nid)  # read unseen: leaves both counters
    assert unseen() == 0
    assert seen.mark_seen(db.session, alice, [nid]) == [nid]
    assert unseen() == 0 and seen_at(nid) is not None


def test_an_empty_or_foreign_batch_writes_nothing():
    (bobs,) = notify_many([user_id("bob")], "comment", "bob's")
    assert seen.mark_seen(db.session, user_id("alice"), []) == []
    assert seen.mark_seen(db.session, user_id("alice"), [bobs]) == []
    assert seen_at(bobs) is None


def test_the_users_tabs_are_told_and_the_analytics_recorded(monkeypatch):
    alice = user_id("alice")
    ids = notify_many([alice], "comment", "one") + notify_many([alice], "comment", "two")
    told = []
    monkeypatch.setattr(broker, "publish", lambda uid, event: told.append((uid, event)))
    recorder = state.current().analytics
    recorder.take()
    seen.mark_seen(db.session, alice, ids)
    assert told == [(alice, {"kind": "seen", "ids": sorted(ids)})]
    counts, _ = recorder.take()
    assert sum(n for (_, type_, channel, event), n in counts.items() if event == "seen") == 2
    told.clear()
    seen.mark_seen(db.session, alice, ids)
    assert told == []  # nothing newly seen: nothing to tell


def test_a_repeat_writes_nothing():
    alice = user_id("alice")
    ids = notify_many([alice], "comment", "one")
    seen.mark_seen(db.session, alice, ids)
    statements: list[str] = []

    def collect(conn, cursor, statement, *args):
        statements.append(statement.lstrip().split()[0].upper())

    sa.event.listen(db.engine, "before_cursor_execute", collect)
    try:
        assert seen.mark_seen(db.session, alice, ids) == []
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", collect)
    assert statements == ["SELECT"]  # the guarded read finds nothing to lock or stamp
