"""The app's users

Until Tocsin 0007 this table was Tocsin's: a database that has it with rows (an
existing instance) keeps it as it is; otherwise it is created.

Revision ID: a001
Revises:
Create Date: 2026-12-01 04:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    if sa.inspect(op.get_bind()).has_table("tocsin_users"):
        return  # adopted from Tocsin's migrations (0001, 0006)
    op.create_table(
        "tocsin_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("demo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )


def downgrade():
    op.drop_table("tocsin_users")
