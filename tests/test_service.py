import random
import threading

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin.extensions import db
from tocsin.models import Notification
from tocsin.notifications import queries, service
from tocsin.notifications.validation import InvalidNotification

pytestmark = pytest.mark.usefixtures("ctx")


def send(name="alice", **fields):
    fields.setdefault("type", "comment")
    fields.setdefault("title", "Hello")
    return service.create(db.session, user_id(name), **fields)


def test_create_persists_and_counts():
    n = send(body="Body", url="/x", priority="high", data={"k": 1}, actor="bob")
    assert n.id and n.read_at is None and n.created_at.tzinfo is not None
    assert (n.body, n.url, n.priority, n.data, n.actor) == ("Body", "/x", "high", {"k": 1}, "bob")
    assert queries.unread_count(db.session, user_id("alice")) == 1
    assert queries.unread_count(db.session, user_id("bob")) == 0


def test_create_uses_the_types_default_priority():
    assert send(type="like").priority == "low"
    assert send(type="security").priority == "urgent"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "nope"}, "type"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "x" * 2001}, "body"),
        ({"priority": "extreme"}, "priority"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"data": ["not", "an", "object"]}, "data"),
        ({"title": "nul\x00byte"}, "title"),
        ({"body": "nul\x00byte"}, "body"),
        ({"actor": "x" * 121}, "actor"),
        ({"group_key": "x" * 201}, "group_key"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(fields, field):
    with pytest.raises(InvalidNotification, match=f"^{field}:"):
        send(**fields)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    assert queries.unread_count(db.session, user_id("alice")) == 0


def test_create_for_unknown_user_fails():
    with pytest.raises(InvalidNotification, match="recipient"):
        service.create(db.session, 9999, type="comment", title="x")


def test_mark_read_is_scoped_and_counted_once():
    n = send()
    with pytest.raises(service.NotificationNotFound):
        service.mark_read(db.session, user_id("bob"), n.id)
    assert service.mark_read(db.session, user_id("alice"), n.id).read_at is not None
    service.mark_read(db.session, user_id("alice"), n.id)  # again: no change
    assert queries.unread_count(db.session, user_id("alice")) == 0


def test_mark_all_read_stops_at_up_to():
    first = [send(title=f"n{i}") for i in range(3)]
    later = send(title="arrived after the panel was shown")
    send(name="bob")
    ids = service.mark_all_read(db.session, user_id("alice"), first[-1].id)
    assert sorted(ids) == [n.id for n in first]
    assert queries.unread_count(db.session, user_id("alice")) == 1
    assert queries.get(db.session, user_id("alice"), later.id).read_at is None
    assert queries.unread_count(db.session, user_id("bob")) == 1


def test_pages_are_keyset_by_id_newest_first():
    ids = [send(title=f"n{i}").id for i in range(5)]
    first = queries.page(db.session, user_id("alice"), limit=2)
    assert [n.id for n in first.items] == ids[:-3:-1]
    assert first.next_before == ids[3]
    second = queries.page(db.session, user_id("alice"), first.next_before, limit=2)
    assert [n.id for n in second.items] == [ids[2], ids[1]]
    last = queries.page(db.session, user_id("alice"), second.next_before, limit=2)
    assert [n.id for n in last.items] == [ids[0]] and last.next_before is None
    assert queries.page(db.session, user_id("bob")).items == []


def test_counter_matches_rows_after_random_operations():
    rng = random.Random(7)
    alice = user_id("alice")
    ids = []
    for _ in range(60):
        op = rng.random()
        if op < 0.6 or not ids:
            ids.append(send(title="x").id)
        elif op < 0.9:
            service.mark_read(db.session, alice, rng.choice(ids))
        else:
            service.mark_all_read(db.session, alice, rng.choice(ids))
        counted = queries.count_unread_rows(db.session, alice)
        assert queries.unread_count(db.session, alice) == counted


def test_recount_repairs_a_drifted_counter():
    send()
    send()
    db.session.execute(sa.update(Notification).values(read_at=sa.func.now()))
    db.session.commit()
    assert queries.unread_count(db.session, user_id("alice")) == 2  # edited behind its back
    assert service.recount_unread(db.session, user_id("alice")) == 0
    assert queries.unread_count(db.session, user_id("alice")) == 0


def test_concurrent_reads_of_one_notification_decrement_once(app):
    n = send()
    alice = user_id("alice")
    errors = []

    def read():
        with app.app_context():
            try:
                service.mark_read(db.session, alice, n.id)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    db.session.expire_all()
    assert queries.unread_count(db.session, alice) == 0


def test_no_data_is_sql_null():
    send()
    send(data={"k": 1})
    stored = db.session.execute(
        sa.text("SELECT count(*) FROM tocsin_notifications WHERE data IS NULL")
    ).scalar()
    assert stored == 1
