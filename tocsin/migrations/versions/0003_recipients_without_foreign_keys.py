"""Recipients without foreign keys to tocsin_users

A host app that embeds Tocsin keeps its users in its own table: a notification's
user_id is that app's user id, which tocsin_users does not hold.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 20:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UNREAD = sa.text("read_at IS NULL")


def _notifications(with_fk: bool) -> sa.Table:
    """The table as SQLite must rebuild it (batch mode copies from this, not reflection)."""
    user_id = (
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("tocsin_users.id", ondelete="CASCADE"),
            nullable=False,
        )
        if with_fk
        else sa.Column("user_id", sa.Integer(), nullable=False)
    )
    return sa.Table(
        "tocsin_notifications",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        user_id,
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("group_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index("ix_tocsin_notifications_user_id_id", "user_id", "id"),
        sa.Index(
            "ix_tocsin_notifications_unread",
            "user_id",
            "id",
            sqlite_where=UNREAD,
            postgresql_where=UNREAD,
        ),
        sqlite_autoincrement=True,
    )


def _counters(with_fk: bool) -> sa.Table:
    fk = [sa.ForeignKeyConstraint(["user_id"], ["tocsin_users.id"], ondelete="CASCADE")]
    return sa.Table(
        "tocsin_unread_counters",
        sa.MetaData(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unread", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        *(fk if with_fk else []),
    )


def _rebuild_sqlite(with_fk: bool) -> None:
    for table in (_notifications(with_fk), _counters(with_fk)):
        with op.batch_alter_table(table.name, copy_from=table, recreate="always"):
            pass


def upgrade():
    if op.get_context().dialect.name == "sqlite":
        _rebuild_sqlite(with_fk=False)
        return
    op.drop_constraint(
        "tocsin_notifications_user_id_fkey", "tocsin_notifications", type_="foreignkey"
    )
    op.drop_constraint(
        "tocsin_unread_counters_user_id_fkey", "tocsin_unread_counters", type_="foreignkey"
    )


def downgrade():
    if op.get_context().dialect.name == "sqlite":
        _rebuild_sqlite(with_fk=True)
        return
    for table in ("tocsin_notifications", "tocsin_unread_counters"):
        op.create_foreign_key(
            f"{table}_user_id_fkey", table, "tocsin_users", ["user_id"], ["id"], ondelete="CASCADE"
        )
