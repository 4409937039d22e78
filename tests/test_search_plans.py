"""The inbox's filters and search use their indexes: EXPLAIN on real data, both databases.

As tests/test_query_plans.py does for the badge: the plans are taken for the exact SQL
`search.find` sends (captured from the engine), on 10,000 users and 60,000 rows with
statistics, so that the planner's choice means something. The figures at 1,000,000 rows
for one user are in bench/results/search.md.
"""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.models import User
from tests.conftest import user_id
from tests.test_query_plans import SEQUENCE, TABLES, _analyze, captured
from tocsin.extensions import db
from tocsin.models import UTCDateTime
from tocsin.notifications import search, service
from tocsin.notifications.inbox_query import InboxQuery

ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
pytestmark = pytest.mark.usefixtures("ctx")
assert "tocsin_notifications" in TABLES

OTHER_USERS = 10_000
ROWS = 60_000
TYPES = "comment mention like follow message friend_request order payment system security"
TYPE_INDEX = "ix_tocsin_notifications_user_type_position"
PAGE_INDEX = "ix_tocsin_notifications_user_position"
LATEST_INDEX = "ix_tocsin_notifications_user_latest"
ARCHIVED_INDEX = "ix_tocsin_notifications_archived"
SEARCH_INDEX = "ix_tocsin_notifications_search"


@pytest.fixture
def loaded() -> tuple[int, int]:
    """Load 10,000 users and 60,000 rows of ten types over 60,000 minutes; return (alice,
    bob): alice has 1 row in 400, bob 1 in 5. "zanzibar" is in 1 row in 1,000, "update"
    in every 2nd, 1 row in 50 is archived."""
    alice, bob = user_id("alice"), user_id("bob")
    now = sa.bindparam("now", datetime(2026, 3, 1, tzinfo=UTC), type_=UTCDateTime)
    db.session.execute(
        sa.text(
            SEQUENCE + "INSERT INTO tocsin_users (username, password_hash, created_at)"
            " SELECT 'user' || n, '-', :now FROM seq"
        ).bindparams(now),
        {"rows": OTHER_USERS - 1},
    )
    first = db.session.scalar(sa.select(sa.func.min(User.id)).where(User.id > max(alice, bob)))
    types = ", ".join(f"'{t}'" for t in TYPES.split())
    pick = (
        f"CASE n % 10 {' '.join(f'WHEN {i} THEN {t}' for i, t in enumerate(types.split(', ')))} END"
    )
    db.session.execute(
        sa.text(
            SEQUENCE + "INSERT INTO tocsin_notifications"
            " (user_id, type, title, body, actor, priority, created_at, read_at, archived_at)"
            " SELECT CASE WHEN n % 400 = 0 THEN :alice WHEN n % 5 = 1 THEN :bob"
            "  ELSE :first + n % :others END,"
            f" {pick},"
            " CASE WHEN n % 2 = 0 THEN 'update ' ELSE 'notice ' END || n,"
            " 'Reference ' || (n % 997) || CASE WHEN n % 1000 = 7 THEN ' zanzibar' ELSE '' END,"
            " 'user' || (n % 50), 'normal', :now, :now,"
            " CASE WHEN n % 50 = 3 THEN :now END"
            " FROM seq"
        ).bindparams(now),
        {"rows": ROWS - 1, "alice": alice, "bob": bob, "first": first, "others": OTHER_USERS},
    )
    # Dates spread over the rows in id order, as time goes.
    minute = "interval '1 minute'" if db.engine.dialect.name == "postgresql" else None
    if minute:
        db.session.execute(
            sa.text(
                "UPDATE tocsin_notifications SET created_at = created_at - (:rows - id) * " + minute
            ),
            {"rows": ROWS},
        )
    else:
        db.session.execute(
            sa.text(
                "UPDATE tocsin_notifications SET created_at ="
                " strftime('%Y-%m-%d %H:%M:%f', created_at, '-' || (:rows - id) || ' minutes')"
            ),
            {"rows": ROWS},
        )
    db.session.commit()
    for uid in (alice, bob):
        service.recount_unread(db.session, uid)
    _analyze()
    return alice, bob


def plans(uid: int, query: InboxQuery, before: int | None = None) -> list[str]:
    """Return the plan of every statement `search.find` sends for the query."""
    with captured() as statements:
        search.find(db.session, uid, query, UTC, before)
    out = []
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            if "tocsin_notifications" not in statement:
                continue
            if conn.dialect.name == "postgresql":
                rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                out.append("\n".join(row[0] for row in rows))
            else:
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                out.append("\n".join(row[-1] for row in rows))
    return out


def uses(index: str, text: str) -> bool:
    return (
        f"using {index} " in text
        or f"Bitmap Index Scan on {index} " in text
        or (f"USING INDEX {index} " in text or f"USING COVERING INDEX {index} " in text)
    )


WHO = pytest.mark.parametrize("who", [0, 1], ids=["typical-user", "heavy-user"])
#: Three days among the 42 the rows span, in the middle: neither end of the list.
JUNE = {"since": date(2026, 2, 10), "until": date(2026, 2, 12)}


@ON_POSTGRES
@WHO
def test_postgres_type_filter_reads_the_type_index_backwards(loaded, who):
    [text] = plans(loaded[who], InboxQuery(types=("payment",)))
    assert uses(TYPE_INDEX, text) and "Seq Scan" not in text, text
    if who:  # a dozen rows may as well be sorted; thousands are read in order
        assert f"Index Scan Backward using {TYPE_INDEX}" in text and "Sort" not in text, text


@ON_POSTGRES
def test_postgres_archived_tab_reads_its_partial_index(loaded):
    [text] = plans(loaded[1], InboxQuery(state="archived"))
    assert f"Index Scan Backward using {ARCHIVED_INDEX}" in text, text


@ON_POSTGRES
@WHO
def test_postgres_date_range_is_two_index_probes_then_a_range_of_positions(loaded, who):
    *ends, text = plans(loaded[who], InboxQuery(**JUNE))
    assert len(ends) == 2, ends
    for end in ends:  # one row off each end of the date index
        assert uses(LATEST_INDEX, end) and "Sort" not in end, end
    assert uses(PAGE_INDEX, text) and "Seq Scan" not in text, text
    bounds = text.partition("Index Cond")[2]
    assert "COALESCE(sort_id, id) <" in bounds and "COALESCE(sort_id, id) >=" in bounds, text
    if who:  # a handful of rows may as well be sorted; thousands are read in order
        assert f"Index Scan Backward using {PAGE_INDEX}" in text and "Sort" not in text, text


@ON_POSTGRES
def test_postgres_rare_word_reads_the_gin_index_for_older_rows(loaded):
    _, bob = loaded
    texts = plans(bob, InboxQuery(q="zanzibar"))
    # The newest rows in list order, then the GIN index (user_id and words) for the rest.
    assert any(f"Index Scan Backward using {PAGE_INDEX}" in t for t in texts), texts
    [older] = [t for t in texts if "CTE older" in t]
    assert f"Bitmap Index Scan on {SEARCH_INDEX}" in older, older
    assert "Seq Scan" not in "".join(texts), texts


@ON_POSTGRES
def test_postgres_common_word_is_found_in_the_newest_rows_alone(loaded):
    _, bob = loaded
    texts = plans(bob, InboxQuery(q="update"))
    assert all(SEARCH_INDEX not in t for t in texts), texts  # no half-the-table bitmap
    assert any(f"Index Scan Backward using {PAGE_INDEX}" in t for t in texts), texts


@ON_POSTGRES
def test_postgres_the_gin_index_leads_with_the_user(loaded):
    definition = db.session.scalar(
        sa.text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = :n AND schemaname = current_schema()"
        ),
        {"n": SEARCH_INDEX},
    )
    assert "USING gin (user_id, to_tsvector('simple'" in definition, definition


@ON_SQLITE
def test_sqlite_type_filter_uses_the_type_index(loaded):
    [text] = plans(loaded[0], InboxQuery(types=("payment",)))
    assert uses(TYPE_INDEX, text), text
    assert "TEMP B-TREE" not in text, text


@ON_SQLITE
@WHO
def test_sqlite_words_go_through_the_fts_table(loaded, who):
    [text] = plans(loaded[who], InboxQuery(q="zanzibar"))
    assert "VIRTUAL TABLE INDEX" in text, text
    assert "SCAN tocsin_notifications\n" not in text + "\n", text


@ON_SQLITE
def test_sqlite_date_range_is_two_index_probes_then_a_range_of_positions(loaded):
    *ends, text = plans(loaded[1], InboxQuery(**JUNE))
    assert len(ends) == 2 and all(uses(LATEST_INDEX, end) for end in ends), ends
    assert uses(PAGE_INDEX, text) and "TEMP B-TREE" not in text, text
