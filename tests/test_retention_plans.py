"""The prune's per-batch queries use indexes: EXPLAIN of the exact SQL it sends, on
real data (the `loaded` table of test_query_plans: 60,000 rows, a heavy user)."""

import pytest
import sqlalchemy as sa

from tests.test_query_plans import PAGE_INDEX, captured, loaded  # noqa: F401 - a fixture
from tocsin.extensions import db
from tocsin.notifications import retention

pytestmark = pytest.mark.usefixtures("ctx")


def statements(**kwargs) -> dict[str, tuple[str, object]]:
    """Run a dry-run prune; return its statements by what they do."""
    with captured() as sent:
        retention.prune(db.session, 1000, 90, dry_run=True, **kwargs)
    found = {}
    for statement, parameters in sent:
        flat = " ".join(statement.split())
        if flat.startswith("SELECT tocsin_notifications.id, tocsin_notifications.created_at"):
            found["probe"] = (statement, parameters)  # the binary search for the cut-off
        elif flat.startswith("SELECT tocsin_notifications.id FROM") and "OFFSET" in flat:
            found["by_age"] = (statement, parameters)  # a batch's upper end, by id
        elif flat.startswith("SELECT coalesce(") and "DESC" in flat:
            found["cap_edge"] = (statement, parameters)  # the newest row past the cap
        elif flat.startswith("SELECT coalesce(") and "OFFSET" in flat:
            found["by_cap"] = (statement, parameters)  # a batch's upper end, by position
    return found


def explain(statement: str, parameters) -> str:
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            return "\n".join(row[0] for row in rows)
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(row[-1] for row in rows)


def test_the_prunes_batches_find_their_rows_through_indexes(loaded):  # noqa: F811
    # Every row is young and bob (a fifth of the table) is over the cap: each query runs.
    found = statements()
    assert set(found) == {"probe", "by_age", "cap_edge", "by_cap"}, found.keys()
    plans = {name: explain(*sql) for name, sql in found.items()}
    for name, text in plans.items():
        # No full read of the table (PostgreSQL's Seq Scan, SQLite's SCAN).
        assert "Seq Scan" not in text and "SCAN " not in text, (name, text)
    if db.engine.dialect.name == "postgresql":
        assert "tocsin_notifications_pkey" in plans["probe"], plans["probe"]
        assert "tocsin_notifications_pkey" in plans["by_age"], plans["by_age"]
        assert PAGE_INDEX in plans["cap_edge"], plans["cap_edge"]
    else:
        assert "INTEGER PRIMARY KEY" in plans["probe"], plans["probe"]
        assert "INTEGER PRIMARY KEY" in plans["by_age"], plans["by_age"]
        assert PAGE_INDEX in plans["cap_edge"] and PAGE_INDEX in plans["by_cap"], plans
    assert db.session.scalar(sa.select(sa.func.count()).select_from(retention.N)) > 0
