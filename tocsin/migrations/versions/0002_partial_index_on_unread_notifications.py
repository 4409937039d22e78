"""Partial index on unread notifications

Counting a user's unread rows (recount) and marking them read (read-all, bounded by id)
touch only unread rows; this index holds just those, so it stays small however much
read history a user keeps.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:05:32.343980
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UNREAD = sa.text("read_at IS NULL")


def upgrade():
    # CONCURRENTLY (PostgreSQL) builds without blocking inserts into a big table; it
    # cannot run inside a transaction.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_tocsin_notifications_unread",
            "tocsin_notifications",
            ["user_id", "id"],
            postgresql_where=UNREAD,
            sqlite_where=UNREAD,
            postgresql_concurrently=True,
        )


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_tocsin_notifications_unread",
            table_name="tocsin_notifications",
            postgresql_concurrently=True,
        )
