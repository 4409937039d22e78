"""The badge, panel and unread queries use their indexes: checked with EXPLAIN on real data.

The plans are taken for the exact SQL the query functions send (captured from the engine),
on enough rows, users and statistics that the planner's choice means something.
"""

from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial

import pytest
import sqlalchemy as sa

from app.models import User
from tests.conftest import user_id
from tocsin.extensions import db
from tocsin.models import Notification, UTCDateTime
from tocsin.notifications import queries, service

ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
pytestmark = pytest.mark.usefixtures("ctx")

OTHER_USERS = 10_000
ROWS = 60_000
PAGE_INDEX = "ix_tocsin_notifications_user_position"
UNREAD_INDEX = "ix_tocsin_notifications_unread"
TABLES = ("tocsin_users", "tocsin_notifications", "tocsin_unread_counters")
SEQUENCE = "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :rows) "


@pytest.fixture
def loaded() -> tuple[int, int]:
    """Load 10,000 users and 60,000 notifications; return (typical user, heavy user).

    Rows are interleaved in id order as real traffic is, about 5% unread. alice is a
    typical user (1 row in 400), bob a heavy one (1 row in 5, a fifth of the table).
    """
    alice, bob = user_id("alice"), user_id("bob")
    now = sa.bindparam("now", datetime.now(UTC), type_=UTCDateTime)
    db.session.execute(
        sa.text(
            SEQUENCE + "INSERT INTO tocsin_users (username, password_hash, created_at)"
            " SELECT 'user' || n, '-', :now FROM seq"
        ).bindparams(now),
        {"rows": OTHER_USERS - 1},
    )
    first = db.session.scalar(sa.select(sa.func.min(User.id)).where(User.id > max(alice, bob)))
    db.session.execute(
        sa.text(
            SEQUENCE + "INSERT INTO tocsin_notifications"
            " (user_id, type, title, priority, created_at, read_at)"
            " SELECT CASE WHEN n % 400 = 0 THEN :alice WHEN n % 5 = 1 THEN :bob"
            "  ELSE :first + n % :others END,"
            " 'comment', 'Notification ' || n, 'normal', :now,"
            " CASE WHEN (n / 3) % 20 = 0 THEN NULL ELSE :now END"
            " FROM seq"
        ).bindparams(now),
        {"rows": ROWS - 1, "alice": alice, "bob": bob, "first": first, "others": OTHER_USERS},
    )
    db.session.execute(
        sa.text(
            "INSERT INTO tocsin_unread_counters (user_id, unread) SELECT id, 0"
            " FROM tocsin_users WHERE id >= :first"
        ),
        {"first": first},
    )
    db.session.commit()
    for uid in (alice, bob):
        service.recount_unread(db.session, uid)
    _analyze()
    return alice, bob


def _analyze() -> None:
    """Refresh the planner's statistics (and, on PostgreSQL, the visibility map)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            # VACUUM sets the visibility map, without which no Index Only Scan is chosen.
            conn.exec_driver_sql(f"VACUUM ANALYZE {', '.join(TABLES)}")
        else:
            conn.exec_driver_sql("ANALYZE")  # the test's own database file


@contextmanager
def captured():
    """Collect the statements the engine sends, with their parameters."""
    statements: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", grab)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", grab)


def plan(call, touching: str = "tocsin_", settings: str = "") -> str:
    """Run `call`; return the plan for the one statement it sent that mentions `touching`."""
    with captured() as statements:
        call()
    [(statement, parameters)] = [s for s in statements if touching in s[0]]
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            if settings:
                conn.exec_driver_sql(settings)
            rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            return "\n".join(row[0] for row in rows)
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(row[-1] for row in rows)


def uses(index: str, text: str) -> bool:
    """Whether the plan reads `index` (index, index-only or bitmap scan)."""
    return f"using {index} " in text or f"Bitmap Index Scan on {index} " in text


def all_visible(table: str) -> bool:
    """Whether VACUUM marked every page of `table` all-visible (PostgreSQL)."""
    return db.session.scalar(
        sa.text("SELECT relallvisible >= relpages FROM pg_class WHERE oid = CAST(:t AS regclass)"),
        {"t": table},
    )


def middle_id(uid: int) -> int:
    """An id halfway down the user's list: where a `before=` page starts."""
    ids = db.session.scalars(sa.select(Notification.id).where(Notification.user_id == uid))
    ids = sorted(ids)
    return ids[len(ids) // 2]


def page_plan(uid: int, before: bool, settings: str = "") -> str:
    bound = middle_id(uid) if before else None
    return plan(lambda: queries.page(db.session, uid, before=bound), settings=settings)


BEFORE = pytest.mark.parametrize("before", [False, True], ids=["first-page", "before-page"])


@ON_POSTGRES
def test_postgres_badge_count_is_a_primary_key_lookup(loaded):
    alice, _ = loaded
    text = plan(lambda: queries.unread_count(db.session, alice))
    assert "Index Scan using tocsin_unread_counters_pkey" in text, text
    assert "Seq Scan" not in text, text


@ON_POSTGRES
@BEFORE
def test_postgres_panel_page_reads_the_position_index_backwards(loaded, before):
    alice, _ = loaded
    text = page_plan(alice, before)
    assert f"Index Scan Backward using {PAGE_INDEX}" in text, text
    assert "Seq Scan" not in text and "Sort" not in text, text
    if before:
        assert "COALESCE(sort_id, id) <" in text.partition("Index Cond")[2], text  # a bound


@ON_POSTGRES
@BEFORE
def test_postgres_panel_page_for_a_heavy_user(loaded, before):
    # With the default random_page_cost (4, tuned for spinning disks) PostgreSQL reads a
    # user who owns a large share of the table (from ~2%) through the primary key
    # backwards, filtering on user_id: cheap while their rows are spread over time, but a
    # long scan when they are all old. With the usual SSD setting it takes the
    # (user_id, position) index as for everyone else.
    _, bob = loaded
    text = page_plan(bob, before)
    assert "Index Scan Backward using" in text, text
    assert "Seq Scan" not in text and "Sort" not in text, text
    text = page_plan(bob, before, settings="SET random_page_cost = 1.1")
    assert f"Index Scan Backward using {PAGE_INDEX}" in text, text


@ON_POSTGRES
def test_postgres_unread_row_count_reads_only_the_partial_index(loaded):
    alice, _ = loaded
    text = plan(lambda: queries.count_unread_rows(db.session, alice))
    assert uses(UNREAD_INDEX, text) and "Seq Scan" not in text, text
    # An index-only scan needs the heap pages marked all-visible, which VACUUM cannot do
    # while another session (a parallel test run) holds an older snapshot.
    if all_visible("tocsin_notifications"):
        assert f"Index Only Scan using {UNREAD_INDEX}" in text, text


@ON_POSTGRES
def test_postgres_mark_all_read_finds_unread_rows_through_the_partial_index(loaded):
    alice, _ = loaded
    up_to = middle_id(alice)
    mark_all = partial(service.mark_all_read, db.session, alice, up_to)
    text = plan(mark_all, touching="UPDATE tocsin_notifications")
    assert uses(UNREAD_INDEX, text) and "Seq Scan" not in text, text


@ON_POSTGRES
def test_postgres_latest_id_is_one_index_probe(loaded):
    alice, _ = loaded
    text = plan(lambda: queries.latest_id(db.session, alice))
    assert f"Scan Backward using {PAGE_INDEX}" in text, text  # index-only when all-visible


@ON_SQLITE
@BEFORE
def test_sqlite_panel_page_uses_the_index_without_sorting(loaded, before):
    for uid in loaded:
        text = page_plan(uid, before)
        assert f"USING INDEX {PAGE_INDEX}" in text, text
        assert "TEMP B-TREE" not in text, text


@ON_SQLITE
def test_sqlite_unread_row_count_uses_the_partial_index(loaded):
    alice, _ = loaded
    text = plan(lambda: queries.count_unread_rows(db.session, alice))
    # Not a covering index: SQLite still reads read_at from the table to test it.
    assert f"INDEX {UNREAD_INDEX} (user_id=?)" in text, text
