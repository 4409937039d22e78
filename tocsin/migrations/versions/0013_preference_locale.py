"""The user's language: Preference.locale (NULL follows the browser's Accept-Language)

On SQLite the table is rebuilt so that its stored DDL reads as create_all writes it (an
ALTER TABLE would append the column to the last line); elsewhere a plain ADD COLUMN of a
nullable column, which rewrites nothing.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 22:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    column = sa.Column("locale", sa.String(length=16), nullable=True)
    if _sqlite():
        with op.batch_alter_table("tocsin_preferences", recreate="always") as batch:
            batch.add_column(column)
    else:
        op.add_column("tocsin_preferences", column)


def downgrade():
    if _sqlite():
        with op.batch_alter_table("tocsin_preferences", recreate="always") as batch:
            batch.drop_column("locale")
    else:
        op.drop_column("tocsin_preferences", "locale")
