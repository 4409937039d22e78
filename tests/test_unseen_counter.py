"""The unread and unseen counters stay exact under any mix of the operations that move them.

A seeded random walk over every writer of a counter (publish, a group that grows, seen,
read, mark all read, the inbox's read, unread, archive, unarchive, delete and their undo,
the prune, the repair) on SQLite and PostgreSQL, checking both counters against COUNT(*)
after each step.
"""

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin.extensions import db
from tocsin.models import Notification, UnreadCounter, utcnow
from tocsin.notifications import housekeeping, queries, retention, seen, service, undo
from tocsin.notifications.publish import notify_many

pytestmark = pytest.mark.usefixtures("ctx")

STEPS = 150


def counters(uid: int) -> tuple[int, int]:
    row = db.session.get(UnreadCounter, uid)
    db.session.commit()
    return (row.unread, row.unseen) if row is not None else (0, 0)


def counted(uid: int) -> tuple[int, int]:
    return queries.count_unread_rows(db.session, uid), queries.count_unseen_rows(db.session, uid)


def ids_of(uid: int) -> list[int]:
    return list(db.session.scalars(sa.select(Notification.id).where(Notification.user_id == uid)))


def some(rng: random.Random, ids: list[int]) -> list[int]:
    return rng.sample(ids, min(len(ids), rng.randint(1, 4))) if ids else []


@pytest.mark.parametrize("seed", [1, 2])
def test_both_counters_match_the_rows_after_every_operation(seed):
    rng = random.Random(seed)
    users = [user_id("alice"), user_id("bob")]
    offers: list[tuple[int, str]] = []

    def step(uid: int) -> str:
        ids = ids_of(uid)
        op = rng.choice(OPS)
        if op == "publish" or not ids:
            # Group keys from a small set: some publishes grow an open group instead.
            key = rng.choice([None, "g1", "g2"])
            notify_many(
                [u for u in users if u == uid or rng.random() < 0.5],
                "comment",
                title="x",
                group_key=key,
            )
            return "publish"
        if op == "seen":
            seen.mark_seen(db.session, uid, some(rng, ids))
        elif op == "read":
            service.mark_read(db.session, uid, rng.choice(ids))
        elif op == "read_all":
            service.mark_all_read(db.session, uid, max(ids))
        elif op in housekeeping.ACTIONS:
            outcome = housekeeping.apply(db.session, uid, op, some(rng, ids))
            if outcome.offer is not None:
                offers.append((uid, outcome.offer.token))
        elif op == "inbox_read_all":
            outcome = housekeeping.read_all(db.session, uid, max(ids))
            if outcome.offer is not None:
                offers.append((uid, outcome.offer.token))
        elif op == "undo" and offers:
            owner, token = offers.pop(rng.randrange(len(offers)))
            try:
                undo.revert(db.session, owner, token)
            except (undo.UndoNotFound, undo.UndoExpired, undo.UndoUsed):
                db.session.rollback()
        elif op == "prune":
            later = utcnow() + timedelta(days=400)  # every row old: unread ones over the cap go
            retention.prune(db.session, keep_per_user=3, retention_days=1, now=later, pause=0)
        elif op == "recount":
            service.recount_unread(db.session, uid)
        return op

    for n in range(STEPS):
        uid = rng.choice(users)
        op = step(uid)
        for u in users:
            assert counters(u) == counted(u), f"step {n}: {op} by {uid}, user {u}"


OPS = [
    *["publish"] * 6,
    *["seen"] * 3,
    "read",
    "read_all",
    *housekeeping.ACTIONS,
    "inbox_read_all",
    *["undo"] * 2,
    "prune",
    "recount",
]


def test_a_group_that_grows_after_it_was_seen_is_unseen_again():
    alice = user_id("alice")
    (first,) = notify_many([alice], "comment", title="one", group_key="g")
    assert seen.mark_seen(db.session, alice, [first]) == [first]
    assert counters(alice) == (1, 0)
    (grown,) = notify_many([alice], "comment", title="two", group_key="g")
    assert grown == first
    assert db.session.get(Notification, first).seen_at is None
    assert counters(alice) == counted(alice) == (1, 1)
