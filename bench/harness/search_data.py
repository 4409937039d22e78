"""The search benchmark's data: `rows` notifications on PostgreSQL, `heavy` of them one user's.

Made in the database with generate_series (never through the ORM), into the table with
its secondary indexes dropped, which are then built once: the way a 10,000,000-row table
loads in minutes. Row n (ids grow with time, over a year):
- user: the heavy user (1) for every (rows / heavy)-th row, else one of `users` others;
- type: one of ten (a tenth of anyone's rows each);
- title: "<word> thing <n>": "update" in every 2nd row (a common word), "payment" and
  "payroll" in every 20th each (the prefix "pay"), else "notice";
- body: "Reference R<n % 9973> ..." and, in every RARE_EVERY-th row, the rare word
  "zanzibar"; actor: "user<n % 5000>"; 1 row in 10 unread, 1 in 50 archived.
Everything here takes the engine as an argument: it imports nothing of the application.
"""

import sqlalchemy as sa

HEAVY_USER = 1
SPAN_S = 365 * 24 * 3600
RARE_EVERY = 100_003
TYPES = (
    "comment",
    "mention",
    "like",
    "follow",
    "message",
    "friend_request",
    "order",
    "payment",
    "system",
    "security",
)

# m mixes the row's rank among the heavy user's into n: the heavy user (every k-th row)
# gets every type, word and state in the same shares as everyone. Type, word, unread and
# archived each take a different part of m; archived rows happen to be of three types
# only (follow, message, friend_request), so "archived payments" is the empty worst case.
AT = f"to_timestamp(:epoch + n * ({SPAN_S}::float8 / :rows))"
LOAD = f"""
INSERT INTO tocsin_notifications
  (id, user_id, type, title, body, actor, priority, created_at, read_at, archived_at)
SELECT n,
  CASE WHEN n % :every = 0 THEN {HEAVY_USER} ELSE 2 + (n * 7919) % :users END,
  (ARRAY{list(TYPES)!r})[1 + m % 10],
  CASE WHEN (m / 10) % 2 = 0 THEN 'update' WHEN (m / 10) % 20 = 1 THEN 'payment'
       WHEN (m / 10) % 20 = 3 THEN 'payroll' ELSE 'notice' END || ' thing ' || n,
  'Reference R' || (n % 9973) || ' for your account'
       || CASE WHEN m % {RARE_EVERY} = 7 THEN ' zanzibar' ELSE '' END,
  'user' || (m % 5000), 'normal',
  {AT},
  CASE WHEN (m / 7) % 10 = 5 THEN NULL ELSE {AT} END,
  CASE WHEN (m / 3) % 50 = 11 THEN {AT} END
FROM (SELECT n, n + n / :every AS m
      FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n) AS seq
"""
AFTER_LOAD = (
    "SELECT setval(pg_get_serial_sequence('tocsin_notifications', 'id'),"
    " (SELECT max(id) FROM tocsin_notifications))",
    "INSERT INTO tocsin_unread_counters (user_id, unread)"
    " SELECT user_id, count(*) FROM tocsin_notifications WHERE read_at IS NULL GROUP BY user_id",
)
CHUNK = 2_000_000


def secondary_indexes(engine: sa.Engine) -> list[str]:
    """Return the CREATE INDEX statements of the table's indexes but its primary key."""
    with engine.connect() as conn:
        return list(
            conn.scalars(
                sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = 'tocsin_notifications'"
                    " AND schemaname = current_schema() AND indexname NOT LIKE '%pkey'"
                )
            )
        )


def load(engine: sa.Engine, rows: int, heavy: int, users: int, epoch: int, log=print) -> None:
    """Fill the (empty, freshly created) table; drop and rebuild its secondary indexes."""
    indexes = secondary_indexes(engine)
    with engine.begin() as conn:
        for statement in indexes:
            name = statement.split(" INDEX ", 1)[1].split(" ON ", 1)[0]
            conn.execute(sa.text(f"DROP INDEX {name}"))
    every = max(1, rows // max(1, heavy))
    for first in range(1, rows + 1, CHUNK):
        last = min(rows, first + CHUNK - 1)
        with engine.begin() as conn:
            params = {"every": every, "users": users, "epoch": epoch, "rows": rows}
            conn.execute(sa.text(LOAD), {**params, "first": first, "last": last})
        log(f"  loaded {last:,} rows")
    with engine.begin() as conn:
        for statement in AFTER_LOAD:
            conn.execute(sa.text(statement))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("SET maintenance_work_mem = '1GB'"))
        conn.execute(sa.text("SET statement_timeout = 0"))  # the app's is for requests
        for statement in indexes:
            conn.execute(sa.text(statement))
            log(f"  {statement[:90]}")
        conn.execute(sa.text("VACUUM (ANALYZE) tocsin_notifications"))
        conn.execute(sa.text("ANALYZE tocsin_unread_counters"))
