"""API tokens and idempotency keys

The HTTP API authenticates other services with bearer tokens, stored as a SHA-256 hash
with a short prefix for listing, and remembers each publish request's Idempotency-Key
(per token) with the hash of its body and the response it got.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 12:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTIVE = sa.text("revoked_at IS NULL")


def upgrade():
    op.create_table(
        "tocsin_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(
        "ix_tocsin_api_tokens_active_name",
        "tocsin_api_tokens",
        ["name"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_table(
        "tocsin_idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_id", "key"),
        sa.ForeignKeyConstraint(["token_id"], ["tocsin_api_tokens.id"], ondelete="CASCADE"),
    )
    op.create_index(
        "ix_tocsin_idempotency_keys_created_at", "tocsin_idempotency_keys", ["created_at"]
    )


def downgrade():
    op.drop_index("ix_tocsin_idempotency_keys_created_at", table_name="tocsin_idempotency_keys")
    op.drop_table("tocsin_idempotency_keys")
    op.drop_index("ix_tocsin_api_tokens_active_name", table_name="tocsin_api_tokens")
    op.drop_table("tocsin_api_tokens")
