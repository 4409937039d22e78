"""The prune benchmark's data: many users' notifications over 200 days, made in the database.

Row n of `rows` is created at `epoch + n * SPAN_S / rows` (ids grow with created_at, as
in a live table); every 10th row is the heavy user's (user 1), the others spread over
`users` ordinary users. 1 row in 8 is unread, 1 in 20 archived (read too). Every 100th
row is a grown group with two members; every 1,000th has a held delivery. Half the undo
records have expired. Everything here takes the engine as an argument, so it imports
nothing of the application.
"""

import sqlalchemy as sa

SPAN_S = 200 * 24 * 3600  # ages spread over 200 days
HEAVY_USER = 1
HEAVY_EVERY = 10
UNREAD_EVERY = 8
ARCHIVED = "n % 20 = 3"
UNDO_ROWS = 1000

# The user, then the flags, of row n: shared by both dialects.
USER = f"CASE WHEN n % {HEAVY_EVERY} = 0 THEN {HEAVY_USER} ELSE 2 + (n * 7919) % :users END"
UNREAD = f"n % {UNREAD_EVERY} = 0"
COLUMNS = "user_id, type, title, url, priority, actor, created_at, read_at, archived_at"

SQLITE_TIME = f"strftime('%Y-%m-%d %H:%M:%S', :epoch + (n * {SPAN_S}) / :rows, 'unixepoch')"
SQLITE_LOAD = f"""
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :rows)
INSERT INTO tocsin_notifications ({COLUMNS})
SELECT {USER}, 'comment', 'New comment #' || n, '/threads/' || (n / 50), 'normal', 'bench',
       {SQLITE_TIME} || '.000000',
       CASE WHEN {UNREAD} AND NOT {ARCHIVED} THEN NULL ELSE {SQLITE_TIME} || '.000000' END,
       CASE WHEN {ARCHIVED} THEN {SQLITE_TIME} || '.000000' END
FROM seq
"""
PG_TIME = f"to_timestamp(:epoch + (n * {SPAN_S}) / :rows)"
PG_LOAD = f"""
INSERT INTO tocsin_notifications ({COLUMNS})
SELECT {USER}, 'comment', 'New comment #' || n, '/threads/' || (n / 50), 'normal', 'bench',
       {PG_TIME},
       CASE WHEN {UNREAD} AND NOT {ARCHIVED} THEN NULL ELSE {PG_TIME} END,
       CASE WHEN {ARCHIVED} THEN {PG_TIME} END
FROM generate_series(1, CAST(:rows AS bigint)) AS n
"""
# Two members for every 100th row, a held delivery for every 1,000th, counters from the rows.
AFTER_LOAD = [
    """INSERT INTO tocsin_group_members (notification_id, user_id, actor, title, created_at)
       SELECT id, user_id, actor, title, created_at FROM tocsin_notifications
       WHERE id % 100 = 5""",
    """INSERT INTO tocsin_group_members (notification_id, user_id, actor, title, created_at)
       SELECT id, user_id, 'other', title, created_at FROM tocsin_notifications
       WHERE id % 100 = 5""",
    """INSERT INTO tocsin_held (user_id, notification_id, channel, reason, created_at)
       SELECT user_id, id, 'toast', 'quiet', created_at FROM tocsin_notifications
       WHERE id % 1000 = 7""",
    """INSERT INTO tocsin_unread_counters (user_id, unread)
       SELECT user_id, count(*) FROM tocsin_notifications WHERE read_at IS NULL
       GROUP BY user_id""",
]


def load(engine: sa.Engine, rows: int, users: int, epoch: int) -> None:
    """Insert `rows` notifications, their members, held rows and counters; one transaction."""
    sql = PG_LOAD if engine.dialect.name == "postgresql" else SQLITE_LOAD
    with engine.begin() as conn:
        conn.execute(sa.text(sql), {"rows": rows, "users": users - 1, "epoch": epoch})
        for statement in AFTER_LOAD:
            conn.execute(sa.text(statement))


def analyze(engine: sa.Engine) -> None:
    """Statistics (and PostgreSQL's visibility map), as autovacuum would keep them."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("VACUUM (ANALYZE)"))
        else:
            conn.execute(sa.text("ANALYZE"))
