"""Housekeeping and undo as services, on SQLite and PostgreSQL: each action, scoping, the
counter, the events, and undo: exact (counter, group members, same ids), expiring, once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin import broker
from tocsin.extensions import db
from tocsin.models import GroupMember, Notification, Undo, utcnow
from tocsin.notifications import housekeeping, queries, service, undo

pytestmark = pytest.mark.usefixtures("ctx")


def send(name="alice", **fields):
    fields.setdefault("type", "comment")
    fields.setdefault("title", "Hello")
    return service.create(db.session, user_id(name), **fields).id


def row(nid):
    db.session.expire_all()
    return db.session.get(Notification, nid)


def counter_is_exact(name="alice"):
    uid = user_id(name)
    count = queries.count_unread_rows(db.session, uid)
    assert queries.unread_count(db.session, uid) == count
    return count


@pytest.fixture
def events(monkeypatch):
    """The events published, as (user_id, event)."""
    seen = []
    real = broker.current().publish

    def publish(uid, event):
        seen.append((uid, event))
        real(uid, event)

    monkeypatch.setattr(broker.current(), "publish", publish)
    return seen


def kinds(events):
    return [(e["kind"], sorted(e["ids"])) for _, e in events]


def test_archive_reads_and_leaves_the_list_and_undo_restores_exactly(events):
    alice = user_id("alice")
    unread, read = send(), send()
    service.mark_read(db.session, alice, read)
    events.clear()
    outcome = housekeeping.archive(db.session, alice, [unread, read])
    assert outcome.removed == [unread, read] and outcome.offer.count == 2
    assert row(unread).read_at is not None and row(unread).archived_at is not None
    assert counter_is_exact() == 0
    assert queries.page(db.session, alice).items == []
    assert [n.id for n in queries.page(db.session, alice, state="archived").items] == [read, unread]
    assert kinds(events) == [("removed", [unread, read])]
    read_at = row(read).read_at
    events.clear()
    reverted = undo.revert(db.session, alice, outcome.offer.token)
    assert reverted.restored == [unread, read]
    assert row(unread).read_at is None and row(unread).archived_at is None
    assert row(read).read_at == read_at and row(read).archived_at is None
    assert counter_is_exact() == 1
    assert kinds(events) == [("restored", [unread, read])]


def test_archiving_twice_changes_nothing_the_second_time():
    alice = user_id("alice")
    nid = send()
    housekeeping.archive(db.session, alice, [nid])
    again = housekeeping.archive(db.session, alice, [nid])
    assert again.found == [nid] and again.removed == [] and again.offer is None
    assert counter_is_exact() == 0


def test_unread_on_an_archived_row_unarchives_it(events):
    alice = user_id("alice")
    nid = send()
    housekeeping.archive(db.session, alice, [nid])
    events.clear()
    outcome = housekeeping.mark_unread(db.session, alice, [nid])
    assert outcome.restored == [nid] and outcome.changed == []
    assert row(nid).archived_at is None and row(nid).read_at is None
    assert counter_is_exact() == 1
    assert kinds(events) == [("restored", [nid])]


def test_mark_unread_and_read_count_each_change_once(events):
    alice = user_id("alice")
    a, b = send(), send()
    housekeeping.mark_read(db.session, alice, [a, b])
    assert counter_is_exact() == 0
    assert housekeeping.mark_read(db.session, alice, [a, b]).changed == []
    events.clear()
    assert housekeeping.mark_unread(db.session, alice, [a]).changed == [a]
    assert housekeeping.mark_unread(db.session, alice, [a]).changed == []
    assert counter_is_exact() == 1
    assert kinds(events) == [("read", [a])]


def test_unarchive_leaves_the_row_read(events):
    alice = user_id("alice")
    nid = send()
    housekeeping.archive(db.session, alice, [nid])
    events.clear()
    assert housekeeping.unarchive(db.session, alice, [nid]).restored == [nid]
    assert row(nid).archived_at is None and row(nid).read_at is not None
    assert counter_is_exact() == 0
    assert kinds(events) == [("restored", [nid])]


def test_actions_ignore_another_users_ids():
    alice, bob = user_id("alice"), user_id("bob")
    mine, theirs = send(), send("bob")
    for action in (
        housekeeping.mark_unread,
        housekeeping.archive,
        housekeeping.unarchive,
        housekeeping.delete,
    ):
        outcome = action(db.session, alice, [theirs])
        assert outcome.found == [] and outcome.count == 0, action
    assert housekeeping.apply(db.session, alice, "read", [mine, theirs]).changed == [mine]
    assert row(theirs).read_at is None and row(theirs).archived_at is None
    assert counter_is_exact("bob") == 1 and queries.unread_count(db.session, bob) == 1


def test_delete_and_undo_put_back_the_same_ids_columns_and_group_members(events):
    alice = user_id("alice")
    grouped = send(actor="ann", group_key="doc-1", data={"k": [1, 2]}, url="/doc")
    read = send(title="Read one")
    service.mark_read(db.session, alice, read)
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == grouped)
        .values(group_count=2, actors=["bob", "ann"], sort_id=read + 100, updated_at=utcnow())
    )
    db.session.add_all(
        [
            GroupMember(notification_id=grouped, user_id=alice, actor="ann", title="Hello"),
            GroupMember(notification_id=grouped, user_id=alice, actor="bob", title="Hi"),
        ]
    )
    db.session.commit()
    snapshot = {n.id: _columns(n) for n in db.session.scalars(sa.select(Notification))}
    members = {m.id: _columns(m) for m in db.session.scalars(sa.select(GroupMember))}
    events.clear()
    outcome = housekeeping.delete(db.session, alice, [grouped, read])
    assert outcome.removed == [grouped, read]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMember)) == 0
    assert counter_is_exact() == 0
    assert kinds(events) == [("removed", [grouped, read])]
    events.clear()
    assert undo.revert(db.session, alice, outcome.offer.token).restored == [grouped, read]
    db.session.expire_all()
    assert {n.id: _columns(n) for n in db.session.scalars(sa.select(Notification))} == snapshot
    assert {m.id: _columns(m) for m in db.session.scalars(sa.select(GroupMember))} == members
    assert counter_is_exact() == 1
    assert kinds(events) == [("restored", [grouped, read])]
    # Ids keep growing past the restored ones.
    assert send() > read


def _columns(obj):
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def test_read_all_and_undo_make_exactly_those_unread_again(events):
    alice = user_id("alice")
    a, b = send(), send()
    already = send()
    service.mark_read(db.session, alice, already)
    later = send()
    outcome = housekeeping.read_all(db.session, alice, b + 1)
    assert outcome.changed == [a, b] and outcome.offer.action == undo.READ
    assert counter_is_exact() == 1
    # Archived in the meantime: it stays read (archived rows always are).
    housekeeping.archive(db.session, alice, [b])
    events.clear()
    reverted = undo.revert(db.session, alice, outcome.offer.token)
    assert reverted.unread == [a] and reverted.restored == []
    assert row(a).read_at is None and row(b).read_at is not None
    assert row(already).read_at is not None and row(later).read_at is None
    assert counter_is_exact() == 2
    assert kinds(events) == [("read", [a])]


def test_an_undo_works_once():
    alice = user_id("alice")
    nid = send()
    token = housekeeping.archive(db.session, alice, [nid]).offer.token
    undo.revert(db.session, alice, token)
    with pytest.raises(undo.UndoUsed):
        undo.revert(db.session, alice, token)
    assert counter_is_exact() == 1 and row(nid).archived_at is None


def test_another_users_or_an_unknown_token_is_not_found():
    nid = send()
    token = housekeeping.delete(db.session, user_id("alice"), [nid]).offer.token
    with pytest.raises(undo.UndoNotFound):
        undo.revert(db.session, user_id("bob"), token)
    with pytest.raises(undo.UndoNotFound):
        undo.revert(db.session, user_id("alice"), "no-such-token")
    assert row(nid) is None
    undo.revert(db.session, user_id("alice"), token)  # still the owner's to take
    assert row(nid) is not None


def test_an_undo_expires_after_its_grace_and_is_pruned_when_the_next_is_made():
    alice = user_id("alice")
    first, second = send(), send()
    token = housekeeping.archive(db.session, alice, [first]).offer.token
    stale = utcnow() - undo.GRACE - timedelta(seconds=1)
    db.session.execute(sa.update(Undo).where(Undo.id == token).values(expires_at=stale))
    db.session.commit()
    with pytest.raises(undo.UndoExpired):
        undo.revert(db.session, alice, token)
    assert row(first).archived_at is not None and counter_is_exact() == 1
    housekeeping.archive(db.session, alice, [second])
    assert db.session.get(Undo, token) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Undo)) == 1


def test_an_undo_inside_the_grace_still_works():
    alice = user_id("alice")
    nid = send()
    token = housekeeping.archive(db.session, alice, [nid]).offer.token
    late = utcnow() - undo.GRACE / 2  # the toast is gone, the click was not
    db.session.execute(sa.update(Undo).where(Undo.id == token).values(expires_at=late))
    db.session.commit()
    undo.revert(db.session, alice, token)
    assert row(nid).archived_at is None


def test_prune_removes_everyones_expired_undos():
    nid = send()
    housekeeping.archive(db.session, user_id("alice"), [nid])
    assert undo.prune(db.session, now=utcnow() + timedelta(minutes=1)) == 1
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Undo)) == 0


def test_bulk_read_offers_an_undo_and_a_single_read_does_not():
    alice = user_id("alice")
    a, b = send(), send()
    assert housekeeping.mark_read(db.session, alice, [a]).offer is None
    outcome = housekeeping.apply(db.session, alice, "read", [a, b])
    assert outcome.changed == [b] and outcome.offer.count == 1
    undo.revert(db.session, alice, outcome.offer.token)
    assert counter_is_exact() == 1 and row(a).read_at is not None


def test_undo_of_mark_all_read_works_in_chunks(monkeypatch):
    """It may name every unread row: more than a statement takes parameters (chunks of 3
    here stand for chunks of thousands)."""
    monkeypatch.setattr(queries, "LOCK_CHUNK", 3)
    alice = user_id("alice")
    ids = [send(title=f"n{i}") for i in range(10)]
    outcome = housekeeping.read_all(db.session, alice, ids[-1])
    assert outcome.offer.count == 10 and counter_is_exact() == 0
    assert undo.revert(db.session, alice, outcome.offer.token).unread == ids
    assert counter_is_exact() == 10
    assert queries.lock_rows(db.session, alice, reversed(ids)) == ids
    db.session.rollback()
