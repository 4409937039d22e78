"""The badge benchmark's data: one user's notifications, generated inside the database.

Everything here takes the app's engine and notifications table as arguments, so it
imports nothing of the application.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

UNREAD_EVERY = 10  # every 10th row is unread: 10 % of the rows, spread over the whole range
EPOCH = 1_700_000_000  # created_at of row n is EPOCH + n seconds: newer ids are newer

COLUMNS = (
    "user_id, type, title, body, url, priority, data, actor, group_key, "
    "created_at, seen_at, read_at"
)
# One INSERT ... SELECT per size step: rows are generated inside the database.
SQLITE_LOAD = f"""
WITH RECURSIVE seq(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM seq WHERE n < :last)
INSERT INTO tocsin_notifications ({COLUMNS})
SELECT :user_id, 'comment', 'New comment #' || n,
       'Someone replied in a thread you follow; this is notification ' || n || '.',
       '/threads/' || (n / 50), 'normal', NULL, 'bench', NULL,
       strftime('%Y-%m-%d %H:%M:%S', :epoch + n, 'unixepoch') || '.000000',
       CASE WHEN n % {UNREAD_EVERY} = 0 THEN NULL
            ELSE strftime('%Y-%m-%d %H:%M:%S', :epoch + n + 60, 'unixepoch') || '.000000' END,
       CASE WHEN n % {UNREAD_EVERY} = 0 THEN NULL
            ELSE strftime('%Y-%m-%d %H:%M:%S', :epoch + n + 60, 'unixepoch') || '.000000' END
FROM seq
"""
PG_LOAD = f"""
INSERT INTO tocsin_notifications ({COLUMNS})
SELECT :user_id, 'comment', 'New comment #' || n,
       'Someone replied in a thread you follow; this is notification ' || n || '.',
       '/threads/' || (n / 50), 'normal', NULL, 'bench', NULL,
       to_timestamp(:epoch + n),
       CASE WHEN n % {UNREAD_EVERY} = 0 THEN NULL ELSE to_timestamp(:epoch + n + 60) END,
       CASE WHEN n % {UNREAD_EVERY} = 0 THEN NULL ELSE to_timestamp(:epoch + n + 60) END
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
"""


@dataclass
class Backend:
    name: str
    url: str
    load_sql: str
    explain: str
    engine_options: dict = field(default_factory=dict)
    schema: str = ""

    def setup(self) -> None:
        if self.name == "postgresql":
            with sa.create_engine(self.url).begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
                conn.execute(sa.text(f"CREATE SCHEMA {self.schema}"))

    def teardown(self) -> None:
        if self.name == "postgresql":
            engine = sa.create_engine(self.url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
            engine.dispose()

    def after_load(self, engine: sa.Engine) -> None:
        """Bring planner statistics up to date, as autovacuum would on a live PostgreSQL."""
        if self.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM (ANALYZE) tocsin_notifications"))

    def version(self, session) -> str:
        if self.name == "postgresql":
            return session.scalar(sa.text("SHOW server_version"))
        return session.scalar(sa.text("SELECT sqlite_version()"))


def backends(pg_url: str, instance: str, schema: str) -> dict[str, Backend]:
    return {
        "sqlite": Backend(
            "sqlite", f"sqlite:///{instance}/bench.sqlite3", SQLITE_LOAD, "EXPLAIN QUERY PLAN"
        ),
        "postgresql": Backend(
            "postgresql",
            pg_url,
            PG_LOAD,
            "EXPLAIN",
            {"connect_args": {"options": f"-c search_path={schema}"}},
            schema,
        ),
    }


def load(engine: sa.Engine, backend: Backend, user_id: int, first: int, last: int) -> None:
    """Insert the user's rows numbered first..last in one statement."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(backend.load_sql),
            {"first": first, "last": last, "user_id": user_id, "epoch": EPOCH},
        )


#: The "+ partial index" peer's index when the model declares none on unread rows.
FALLBACK_PARTIAL = "bench_ix_unread"


def partial_indexes(table: sa.Table) -> list[sa.Index]:
    """Return the model's indexes that hold unread rows only (those with a WHERE clause)."""
    return [
        ix
        for ix in table.indexes
        if any(k.endswith("_where") and v is not None for k, v in ix.dialect_kwargs.items())
    ]


def drop_partial_indexes(engine: sa.Engine, table: sa.Table) -> None:
    """Drop every partial index, so count(*) runs as a naive implementation's would."""
    names = [ix.name for ix in partial_indexes(table)] + [FALLBACK_PARTIAL]
    with engine.begin() as conn:
        for name in names:
            conn.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))


def create_partial_indexes(engine: sa.Engine, table: sa.Table, backend: Backend) -> list[str]:
    """Create the model's partial indexes (or a fallback one); return their descriptions."""
    found = partial_indexes(table)
    described = []
    with engine.begin() as conn:
        for ix in found:
            ix.create(conn)
            where = next(
                v for k, v in ix.dialect_kwargs.items() if k.endswith("_where") and v is not None
            )
            columns = ", ".join(c.name for c in ix.columns)
            described.append(f"{ix.name} ({columns}) WHERE {where}, from the model")
        if not found:
            conn.execute(
                sa.text(
                    f"CREATE INDEX {FALLBACK_PARTIAL} ON tocsin_notifications (user_id) "
                    "WHERE read_at IS NULL"
                )
            )
            described.append(f"{FALLBACK_PARTIAL} (user_id) WHERE read_at IS NULL, the bench's")
    backend.after_load(engine)  # PostgreSQL: statistics, and a visibility map for it
    return described
