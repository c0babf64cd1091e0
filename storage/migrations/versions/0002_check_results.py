"""Keep the last check's preview and the connector's own state (e.g. a feed's ETag).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integrations") as batch:
        batch.add_column(sa.Column("check_summary", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("connector_state", sa.JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("integrations") as batch:
        batch.drop_column("connector_state")
        batch.drop_column("check_summary")
