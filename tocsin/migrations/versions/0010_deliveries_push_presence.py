"""Deliveries beyond the open tab, push subscriptions, presence, digests

tocsin_deliveries holds one row per notification and channel (push, email): unique, so
a channel delivers at most once however many workers and retries there are. Push
subscriptions are one per device (unique endpoint). tocsin_presence says which users
have a visible tab when there is no Redis to ask. digest_sent_at dates a user's last
digest email.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tocsin_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id", "channel"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tocsin_deliveries_state_due_at", "tocsin_deliveries", ["state", "due_at"])
    op.create_index(
        "ix_tocsin_deliveries_user_id_channel", "tocsin_deliveries", ["user_id", "channel"]
    )
    op.create_table(
        "tocsin_push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("login_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint"),
    )
    op.create_index(
        "ix_tocsin_push_subscriptions_user_id", "tocsin_push_subscriptions", ["user_id"]
    )
    op.create_table(
        "tocsin_presence",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tocsin_presence_user_id", "tocsin_presence", ["user_id"])
    op.create_index("ix_tocsin_presence_expires_at", "tocsin_presence", ["expires_at"])
    with op.batch_alter_table("tocsin_preferences", recreate="always") as batch:
        batch.add_column(sa.Column("digest_sent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("tocsin_preferences", recreate="always") as batch:
        batch.drop_column("digest_sent_at")
    op.drop_index("ix_tocsin_presence_expires_at", table_name="tocsin_presence")
    op.drop_index("ix_tocsin_presence_user_id", table_name="tocsin_presence")
    op.drop_table("tocsin_presence")
    op.drop_index("ix_tocsin_push_subscriptions_user_id", table_name="tocsin_push_subscriptions")
    op.drop_table("tocsin_push_subscriptions")
    op.drop_index("ix_tocsin_deliveries_user_id_channel", table_name="tocsin_deliveries")
    op.drop_index("ix_tocsin_deliveries_state_due_at", table_name="tocsin_deliveries")
    op.drop_table("tocsin_deliveries")
