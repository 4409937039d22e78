"""Two tabs clean up the same rows at the same moment: archive, unread, delete, mark all
read, bulk read, unarchive and undo race each other (threads, each with its own session,
on SQLite and PostgreSQL). Whatever interleaving happens, no request fails, the counter
equals the unread rows, and no archived row is unread."""

import contextlib
import random
import threading

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin.extensions import db
from tocsin.models import Notification
from tocsin.notifications import housekeeping, queries, service, undo

ROWS = 12
CLIENTS = 4
STEPS = 60
#: What an undo may answer when another tab got there first.
REFUSED = (undo.UndoUsed, undo.UndoExpired, undo.UndoNotFound)


def _client(app, seed: int, ids: list[int], barrier: threading.Barrier, errors: list) -> None:
    rng = random.Random(seed)
    with app.app_context():
        alice = user_id("alice")
        tokens: list[str] = []
        try:
            barrier.wait()
            for _ in range(STEPS):
                op = rng.choice(
                    ["archive", "unread", "delete", "read_all", "undo", "read", "unarchive"]
                )
                chosen = rng.sample(ids, rng.randint(1, 4))
                if op == "read_all":
                    outcome = housekeeping.read_all(db.session, alice, max(ids))
                elif op == "undo":
                    if not tokens:
                        continue
                    with contextlib.suppress(*REFUSED):
                        undo.revert(db.session, alice, tokens.pop(rng.randrange(len(tokens))))
                    continue
                else:
                    outcome = housekeeping.apply(db.session, alice, op, chosen)
                if outcome.offer is not None:
                    tokens.append(outcome.offer.token)
            # Each tab takes back what it can, as a user clicking every Undo would.
            for token in reversed(tokens):
                with contextlib.suppress(*REFUSED):
                    undo.revert(db.session, alice, token)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            db.session.remove()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_racing_tabs_keep_the_counter_exact(app, seed):
    with app.app_context():
        alice = user_id("alice")
        ids = [
            service.create(db.session, alice, type="comment", title=f"n{i}").id for i in range(ROWS)
        ]
    barrier = threading.Barrier(CLIENTS)
    errors: list = []
    threads = [
        threading.Thread(target=_client, args=(app, seed * 100 + i, ids, barrier, errors))
        for i in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, [str(e)[:3000] for e in errors]
    with app.app_context():
        unread_rows = queries.count_unread_rows(db.session, alice)
        assert queries.unread_count(db.session, alice) == unread_rows
        archived_unread = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.archived_at.is_not(None), Notification.read_at.is_(None))
        )
        assert archived_unread == 0
        # Every delete was undone at the end by the tab that made it (within the grace).
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == ROWS


@pytest.mark.parametrize("action", ["archive", "delete", "read"])
def test_the_same_undo_clicked_in_two_threads_reverts_once(app, action):
    with app.app_context():
        alice = user_id("alice")
        ids = [service.create(db.session, alice, type="comment", title="x").id for _ in range(5)]
        token = housekeeping.apply(db.session, alice, action, ids).offer.token
    barrier = threading.Barrier(4)
    results: list = []

    def click():
        with app.app_context():
            try:
                barrier.wait()
                undo.revert(db.session, alice, token)
                results.append("done")
            except undo.UndoUsed:
                results.append("used")
            except Exception as exc:  # pragma: no cover - reported below
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results, key=str) == ["done", "used", "used", "used"]
    with app.app_context():
        assert queries.unread_count(db.session, alice) == 5
        assert queries.count_unread_rows(db.session, alice) == 5
