"""The policy stage's cost bound: a publish to 10,000 recipients reads their preferences
with one query per batch (PostgreSQL: one; SQLite: one per 900 ids), never one each."""

import math
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tocsin import IdDirectory, notify_many, state
from tocsin.extensions import db
from tocsin.models import Held, Notification, Preference, utcnow
from tocsin.notifications import preferences, store

pytestmark = [pytest.mark.usefixtures("ctx"), pytest.mark.slow]

RECIPIENTS = 10_000
#: Plain user ids, none of them a login: the directory takes ids as they are.
IDS = list(range(100_001, 100_001 + RECIPIENTS))


@pytest.fixture
def plain_ids(app, monkeypatch):
    monkeypatch.setattr(state.of(app), "directory", IdDirectory())


def statements_of(fn) -> list[str]:
    """The SQL statements `fn` runs, as the driver gets them."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return seen


def prefs_reads(statements: list[str]) -> int:
    return sum("FROM tocsin_preferences" in s for s in statements)


def expected_prefs_reads() -> int:
    if db.engine.dialect.name == "postgresql":
        return 1
    return math.ceil(RECIPIENTS / preferences.CHUNK)


def snooze_everyone() -> None:
    now = utcnow()
    row = {"sound": True, "urgent_through": True, "digest": "off", "channels": {}}
    row |= {"snoozed_at": now, "snooze_until": now + timedelta(hours=1)}
    db.session.execute(sa.insert(Preference), [{"user_id": uid, **row} for uid in IDS])
    db.session.commit()


def test_a_fan_out_reads_preferences_once_per_batch_with_rows_and_without(plain_ids):
    def publish():
        notify_many(IDS, "comment", "To everyone")

    without = statements_of(publish)
    assert prefs_reads(without) == expected_prefs_reads()
    snooze_everyone()  # the worst case: a row each, and every toast held (a held row each)
    with_rows = statements_of(publish)
    assert prefs_reads(with_rows) == expected_prefs_reads()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Held)) == RECIPIENTS
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    assert rows == 2 * RECIPIENTS
    # The policy's part: the preferences reads and a held insert per batch of rows, however
    # many recipients. (SQLite's notification INSERT ... RETURNING is a statement per row in
    # SQLAlchemy's insertmanyvalues; that is the store's, before and without any policy.)
    held_inserts = sum(s.startswith("INSERT INTO tocsin_held") for s in with_rows)
    assert 1 <= held_inserts <= math.ceil(RECIPIENTS / store.BATCH)
    assert len(with_rows) == len(without) + held_inserts
    others = [s for s in without if not s.startswith("INSERT INTO tocsin_notifications")]
    assert len(others) <= expected_prefs_reads() + 5, others
    if db.engine.dialect.name == "postgresql":
        assert len(without) <= 6, without
