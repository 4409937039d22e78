"""Grouping: notifications with one group_key merge per recipient into an open row."""

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string

from app import users
from app.models import User
from tests.conftest import user_id
from tocsin import notify, notify_many, state
from tocsin.extensions import db
from tocsin.live.connection import Connection
from tocsin.models import GroupMember, Notification
from tocsin.notifications import grouping, queries, service, types
from tocsin.notifications.types import NotificationType

pytestmark = pytest.mark.usefixtures("ctx")


def rows(name: str = "alice") -> list[Notification]:
    db.session.expire_all()
    stmt = queries.for_user(user_id(name)).order_by(Notification.id)
    return list(db.session.scalars(stmt))


def unread(name: str = "alice") -> int:
    return queries.unread_count(db.session, user_id(name))


def text_of(n: Notification) -> str:
    """The type's text as the item shows it, whitespace collapsed."""
    info = types.type_info(n.type)
    html = render_template_string(
        '{% include [info.text_template, "tocsin/types/_default.html"] %}', n=n, info=info
    )
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_same_key_merges_into_one_row_that_moves_to_the_top():
    first = notify("alice", "comment", "Looks good", actor="bob", group_key="post:7")
    other = notify("alice", "comment", "Elsewhere", group_key="post:8")
    second = notify("alice", "comment", "Agreed", actor="carol", url="/p/7", group_key="post:7")
    assert second.id == first.id
    # The caller's session holds one row for it, with the grown values (no stale copy).
    assert second is first and (first.group_count, first.title) == (2, "Agreed")
    (grown,) = [n for n in rows() if n.id == first.id]
    assert (grown.group_count, grown.actors, grown.title, grown.url, grown.actor) == (
        2,
        ["carol", "bob"],
        "Agreed",
        "/p/7",
        "carol",
    )
    assert grown.position > other.id  # a fresh sort_id: above every id so far
    assert grown.updated_at is not None and grown.latest_at == grown.updated_at
    page = queries.page(db.session, user_id("alice"))
    assert [n.id for n in page.items] == [first.id, other.id]
    assert page.newest_id == grown.position
    assert unread() == 2  # the group counts once
    members = db.session.scalars(
        sa.select(GroupMember).where(GroupMember.notification_id == first.id)
    ).all()
    assert [(m.actor, m.title) for m in members] == [("bob", "Looks good"), ("carol", "Agreed")]


def test_wording_names_two_actors_and_counts_the_rest():
    n = notify("alice", "comment", "Roadmap", actor="Alice", group_key="g")
    assert text_of(n) == "Alice commented: Roadmap"
    wording = {
        "Bob": "Bob and Alice commented: Roadmap",
        "Carol": "Carol, Bob and 1 other commented: Roadmap",
        "Dave": "Dave, Carol and 2 others commented: Roadmap",
        "Erin": "Erin, Dave and 3 others commented: Roadmap",
    }
    for actor, expected in wording.items():
        n = notify("alice", "comment", "Roadmap", actor=actor, group_key="g")
        assert text_of(n) == expected
    n = notify("alice", "comment", "Roadmap", actor="Bob", group_key="g")  # Bob again
    assert n.actors == ["Bob", "Erin", "Dave", "Carol", "Alice"] and n.group_count == 6
    assert text_of(n) == "Bob, Erin and 3 others commented: Roadmap"


def test_actors_are_capped_newest_first():
    for i in range(grouping.ACTORS_KEPT + 5):
        n = notify("alice", "like", "Photo", actor=f"u{i}", group_key="photo")
    assert n.group_count == grouping.ACTORS_KEPT + 5
    assert len(n.actors) == grouping.ACTORS_KEPT and n.actors[0] == f"u{grouping.ACTORS_KEPT + 4}"


def test_priority_is_the_highest_so_far():
    notify("alice", "comment", "a", priority="high", group_key="g")
    n = notify("alice", "comment", "b", priority="low", group_key="g")
    assert n.priority == "high" and n.title == "b"
    n = notify("alice", "comment", "c", priority="urgent", group_key="g")
    assert n.priority == "urgent"


def test_a_read_or_archived_group_starts_a_new_row():
    first = notify("alice", "comment", "one", group_key="g")
    service.mark_read(db.session, user_id("alice"), first.id)
    second = notify("alice", "comment", "two", group_key="g")
    assert second.id != first.id and unread() == 1
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == second.id)
        .values(archived_at=second.created_at, read_at=second.created_at)
    )
    service.add_unread(db.session, {user_id("alice"): -1}, unseen={user_id("alice"): -1})
    db.session.commit()
    third = notify("alice", "comment", "three", group_key="g")
    assert third.id not in (first.id, second.id)
    assert notify("alice", "comment", "four", group_key="g").id == third.id
    assert [n.group_count for n in rows()] == [1, 1, 2] and unread() == 1


def test_outside_the_window_is_a_new_row(app):
    first = notify("alice", "comment", "old", group_key="g")
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == first.id)
        .values(created_at=first.created_at - timedelta(hours=24, seconds=1))
    )
    db.session.commit()
    second = notify("alice", "comment", "new", group_key="g")
    assert second.id != first.id
    assert notify("alice", "comment", "newer", group_key="g").id == second.id
    assert unread() == 2


def test_a_type_sets_its_window_and_zero_never_groups(app):
    catalog = state.of(app).types
    catalog.add(NotificationType("ping", "system", "Ping", group_window=timedelta(0)))
    catalog.add(NotificationType("chat", "message", "Chat", group_window=timedelta(minutes=5)))
    a = notify("alice", "ping", "one", group_key="g")
    assert notify("alice", "ping", "two", group_key="g").id != a.id
    b = notify("alice", "chat", "one", group_key="c")
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == b.id)
        .values(created_at=b.created_at - timedelta(minutes=6))
    )
    db.session.commit()
    assert notify("alice", "chat", "two", group_key="c").id != b.id


def test_no_key_never_groups_and_keys_do_not_cross_users_or_types():
    notify("alice", "comment", "a")
    notify("alice", "comment", "b")
    notify("alice", "comment", "c", group_key="g")
    notify("bob", "comment", "d", group_key="g")
    assert len(rows()) == 3 and len(rows("bob")) == 1


def test_fan_out_groups_per_recipient(app):
    users.create(db.session, "carol", "tocsin")
    notify_many(["alice", "bob"], "comment", "first", actor="x", group_key="deploy")
    registry = state.of(app).registry
    conns = {name: Connection(user_id(name), 10) for name in ("alice", "bob", "carol")}
    for conn in conns.values():
        registry.add(conn)
    ids = notify_many(["carol", "alice", "bob"], "comment", "second", actor="y", group_key="deploy")
    (alices,) = rows("alice")
    (bobs,) = rows("bob")
    (carols,) = rows("carol")
    assert ids == [carols.id, alices.id, bobs.id]
    assert (alices.group_count, bobs.group_count, carols.group_count) == (2, 2, 1)
    assert alices.actors == bobs.actors == ["y", "x"]
    assert (unread("alice"), unread("bob"), unread("carol")) == (1, 1, 1)
    assert conns["carol"].wait(0) == [{"kind": "created", "ids": [carols.id], "browser": True}]
    assert conns["alice"].wait(0) == [{"kind": "grouped", "ids": [alices.id]}]
    assert conns["bob"].wait(0) == [{"kind": "grouped", "ids": [bobs.id]}]


def test_a_grown_group_stays_quiet_when_its_toast_is_held_back(app):
    notify("alice", "comment", "first", group_key="g", priority="high")
    conn = Connection(user_id("alice"), 10)
    state.of(app).registry.add(conn)
    n = notify("alice", "comment", "second", group_key="g", priority="high")
    assert conn.wait(0) == [{"kind": "grouped", "ids": [n.id], "sound": True}]
    notify("alice", "like", "low", group_key="l")
    n = notify("alice", "like", "low again", group_key="l")
    assert conn.wait(0)[-1] == {"kind": "grouped", "ids": [n.id], "quiet": True}


def test_http_api_group_key_groups(app, api):
    first = api.publish(group_key="build:1", actor="ci", title="Build failed")
    second = api.publish(group_key="build:1", actor="bot", title="Build failed again")
    assert first.status_code == second.status_code == 201
    assert first.json["ids"] == second.json["ids"]
    (n,) = rows()
    assert (n.group_count, n.actors) == (2, ["bot", "ci"])


def test_cli_group_option_groups(app, runner):
    def send(title: str) -> int:
        base = ["tocsin", "send", "--to", "alice", "--type", "comment", "--group", "g"]
        result = runner.invoke(args=[*base, "--title", title])
        assert result.exit_code == 0, result.output
        return int(result.output.strip())

    assert send("one") == send("two") == send("three")
    (n,) = rows()
    assert (n.group_count, n.title) == (3, "three")


def test_expanding_a_group_lists_who_and_when(app, client, auth):
    auth.login()
    notify("alice", "comment", "first", actor="bob", group_key="g")
    n = notify("alice", "comment", "second", actor="carol", group_key="g")
    bobs = notify("bob", "comment", "bob's", group_key="g")
    panel = client.get("/notifications/panel").text
    assert 'data-group-count="2"' in panel
    response = client.get(f"/notifications/{n.id}/group", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.index("carol") < response.text.index("bob")  # newest first
    assert "<time" in response.text
    assert client.get(f"/notifications/{bobs.id}/group").status_code == 404
    assert client.get("/notifications/999999/group").status_code == 404


def _publish_in_thread(app, barrier: threading.Barrier, title: str, errors: list) -> None:
    with app.app_context():
        try:
            barrier.wait(5)
            notify("alice", "comment", title, group_key="race")
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            db.session.remove()


@pytest.mark.parametrize("attempt", range(3))
def test_two_publishers_into_one_group_at_once_end_with_one_row_of_two(app, attempt):
    notify("alice", "comment", "unrelated")
    db.session.remove()
    barrier = threading.Barrier(2)
    errors: list = []
    threads = [
        threading.Thread(target=_publish_in_thread, args=(app, barrier, f"t{i}", errors))
        for i in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    grouped = [n for n in rows() if n.group_key == "race"]
    assert [n.group_count for n in grouped] == [2]
    assert unread() == 2
    members = db.session.scalar(
        sa.select(sa.func.count()).where(GroupMember.notification_id == grouped[0].id)
    )
    assert members == 2


def _statements(app, fn) -> int:
    counted = [0]

    def count(*_args) -> None:
        counted[0] += 1

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return counted[0]


def test_a_grouped_fan_out_costs_the_same_statements_for_3_or_30_recipients(app):
    db.session.execute(
        sa.insert(User), [{"username": f"u{i}", "password_hash": "x"} for i in range(33)]
    )
    db.session.commit()
    everyone = list(db.session.scalars(sa.select(User.id).where(User.username.like("u%"))))
    few, many = everyone[:3], everyone[3:]
    costs = []
    for group in (few, many):
        notify_many(group, "comment", "first", group_key="k")  # new rows
        costs.append(
            _statements(app, lambda g=group: notify_many(g, "comment", "again", group_key="k"))
        )
    assert costs[0] == costs[1], costs
    assert [n.group_count for n in rows("u32")] == [2]


def test_a_grouped_fan_out_to_thousands_groups_each_recipient():
    # More recipients than PostgreSQL's shared lock table has slots by default (64 per
    # connection x 100 connections): the locks are per bucket of recipients.
    db.session.execute(
        sa.insert(User), [{"username": f"f{i}", "password_hash": "x"} for i in range(7000)]
    )
    db.session.commit()
    everyone = list(db.session.scalars(sa.select(User.id)))
    first = notify_many(everyone, "system", "Deploy 1", group_key="deploy")
    again = notify_many(everyone, "system", "Deploy 2", group_key="deploy")
    assert again == first
    counts = db.session.execute(
        sa.text("SELECT count(*), min(group_count), max(group_count) FROM tocsin_notifications")
    ).one()
    assert tuple(counts) == (len(everyone), 2, 2)
    unread = db.session.execute(
        sa.text("SELECT min(unread), max(unread) FROM tocsin_unread_counters")
    )
    assert tuple(unread.one()) == (1, 1)
