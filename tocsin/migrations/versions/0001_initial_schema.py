"""Initial schema

The tables exactly as `tocsin init` created them (db.create_all) before there were
migrations, so an existing instance is adopted by stamping this revision.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 20:04:53.028310
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tocsin_broker_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        # AUTOINCREMENT keeps SQLite from reusing ids (the listeners poll by id).
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tocsin_broker_events_created_at", "tocsin_broker_events", ["created_at"])
    op.create_table(
        "tocsin_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "tocsin_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(["user_id"], ["tocsin_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        # AUTOINCREMENT keeps SQLite from reusing ids: clients dedupe and paginate by id.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tocsin_notifications_user_id_id", "tocsin_notifications", ["user_id", "id"])
    op.create_table(
        "tocsin_unread_counters",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unread", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["tocsin_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade():
    op.drop_table("tocsin_unread_counters")
    op.drop_index("ix_tocsin_notifications_user_id_id", table_name="tocsin_notifications")
    op.drop_table("tocsin_notifications")
    op.drop_table("tocsin_users")
    op.drop_index("ix_tocsin_broker_events_created_at", table_name="tocsin_broker_events")
    op.drop_table("tocsin_broker_events")
