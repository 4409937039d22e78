"""The full-text index over a notification's title, body and actor, for both databases.

SQLite: an FTS5 table with external content (the rows stay in tocsin_notifications),
kept by triggers that fire on insert, delete and a change of the indexed columns only,
so that marking read or seen never touches it. PostgreSQL: a GIN index on a `simple`
tsvector expression (names and codes match as written), led by user_id through
btree_gin when the extension can be had, so one user's matches are found without
visiting everybody's. `db.create_all()` builds exactly what migration 0012 builds.
"""

import sqlalchemy as sa

from .notifications import Notification

FTS_TABLE = "tocsin_notifications_fts"
#: The PostgreSQL document; queries must repeat it literally for the index to apply.
#: Punctuation inside words becomes space first, so words split as FTS5's unicode61
#: splits them ("INV-2024" is inv and 2024 on both, not inv and -2024).
TSVECTOR = (
    "to_tsvector('simple'::regconfig, translate(COALESCE(title, '') || ' ' ||"
    " COALESCE(body, '') || ' ' || COALESCE(actor, ''), '-.@/_+#', '       '))"
)
GIN_INDEX = "ix_tocsin_notifications_search"

_DELETE = (
    "INSERT INTO tocsin_notifications_fts(tocsin_notifications_fts, rowid, title, body, actor)"
    " VALUES ('delete', old.id, old.title, old.body, old.actor);"
)
_INSERT = (
    "INSERT INTO tocsin_notifications_fts(rowid, title, body, actor)"
    " VALUES (new.id, new.title, new.body, new.actor);"
)
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE tocsin_notifications_fts USING fts5(title, body, actor,"
    " content='tocsin_notifications', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER tocsin_notifications_fts_insert AFTER INSERT ON tocsin_notifications"
    " BEGIN " + _INSERT + " END",
    "CREATE TRIGGER tocsin_notifications_fts_delete AFTER DELETE ON tocsin_notifications"
    " BEGIN " + _DELETE + " END",
    "CREATE TRIGGER tocsin_notifications_fts_update AFTER UPDATE OF title, body, actor"
    " ON tocsin_notifications BEGIN " + _DELETE + " " + _INSERT + " END",
)
SQLITE_DROP = (f"DROP TABLE IF EXISTS {FTS_TABLE}",)
#: btree_gin lets the GIN index lead with user_id; without it (no privilege, not
#: installed) the index is on the document alone and still used, less selectively.
POSTGRES_DDL = (
    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public;"
    " EXCEPTION WHEN OTHERS THEN NULL; END $$",
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN"  # noqa: S608
    f" CREATE INDEX {GIN_INDEX} ON tocsin_notifications USING gin (user_id, ({TSVECTOR}));"
    f" ELSE CREATE INDEX {GIN_INDEX} ON tocsin_notifications USING gin (({TSVECTOR}));"
    " END IF; END $$",
)


def _listen(event: str, statements: tuple[str, ...], dialect: str) -> None:
    for statement in statements:
        ddl = sa.DDL(statement.replace("%", "%%")).execute_if(dialect=dialect)
        sa.event.listen(Notification.__table__, event, ddl)


_listen("after_create", SQLITE_DDL, "sqlite")
_listen("before_drop", SQLITE_DROP, "sqlite")
_listen("after_create", POSTGRES_DDL, "postgresql")
