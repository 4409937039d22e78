"""Inbox search and filters

Full-text search over title, body and actor: on SQLite an FTS5 table with external
content kept by triggers (insert, delete, and updates of those three columns only; read
and seen stamps never touch it), filled from the existing rows; on PostgreSQL a GIN
index on a 'simple' tsvector expression, led by user_id through btree_gin when the
extension can be created. Btree indexes for the type and date filters and the Archived tab.

On a large PostgreSQL table the GIN build takes a while under a lock on writes; build
it beforehand with CREATE INDEX CONCURRENTLY under the same name and definition, and
this migration's IF NOT EXISTS leaves it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FTS = "tocsin_notifications_fts"
TSVECTOR = (
    "to_tsvector('simple'::regconfig, translate(COALESCE(title, '') || ' ' ||"
    " COALESCE(body, '') || ' ' || COALESCE(actor, ''), '-.@/_+#', '       '))"
)
GIN = "ix_tocsin_notifications_search"
DELETE = (
    "INSERT INTO tocsin_notifications_fts(tocsin_notifications_fts, rowid, title, body, actor)"
    " VALUES ('delete', old.id, old.title, old.body, old.actor);"
)
INSERT = (
    "INSERT INTO tocsin_notifications_fts(rowid, title, body, actor)"
    " VALUES (new.id, new.title, new.body, new.actor);"
)
SQLITE = (
    "CREATE VIRTUAL TABLE tocsin_notifications_fts USING fts5(title, body, actor,"
    " content='tocsin_notifications', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER tocsin_notifications_fts_insert AFTER INSERT ON tocsin_notifications"
    " BEGIN " + INSERT + " END",
    "CREATE TRIGGER tocsin_notifications_fts_delete AFTER DELETE ON tocsin_notifications"
    " BEGIN " + DELETE + " END",
    "CREATE TRIGGER tocsin_notifications_fts_update AFTER UPDATE OF title, body, actor"
    " ON tocsin_notifications BEGIN " + DELETE + " " + INSERT + " END",
    "INSERT INTO tocsin_notifications_fts(tocsin_notifications_fts) VALUES ('rebuild')",
)
POSTGRES = (
    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public;"
    " EXCEPTION WHEN OTHERS THEN NULL; END $$",
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN"  # noqa: S608
    f" CREATE INDEX IF NOT EXISTS {GIN} ON tocsin_notifications USING gin (user_id, ({TSVECTOR}));"
    f" ELSE CREATE INDEX IF NOT EXISTS {GIN} ON tocsin_notifications USING gin (({TSVECTOR}));"
    " END IF; END $$",
)
POSITION = sa.text("coalesce(sort_id, id)")
LATEST = sa.text("coalesce(updated_at, created_at)")
ARCHIVED = "archived_at IS NOT NULL"


def upgrade():
    op.create_index(
        "ix_tocsin_notifications_user_type_position",
        "tocsin_notifications",
        ["user_id", "type", POSITION],
    )
    op.create_index(
        "ix_tocsin_notifications_user_latest", "tocsin_notifications", ["user_id", LATEST]
    )
    op.create_index(
        "ix_tocsin_notifications_archived",
        "tocsin_notifications",
        ["user_id", POSITION],
        postgresql_where=sa.text(ARCHIVED),
        sqlite_where=sa.text(ARCHIVED),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRES if dialect == "postgresql" else ():
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{name}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {GIN}")
    op.drop_index("ix_tocsin_notifications_user_latest", table_name="tocsin_notifications")
    op.drop_index("ix_tocsin_notifications_archived", table_name="tocsin_notifications")
    op.drop_index("ix_tocsin_notifications_user_type_position", table_name="tocsin_notifications")
