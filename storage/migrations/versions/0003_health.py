"""Health: recent call samples per integration, circuit-breaker state, last success and last error.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integrations") as batch:
        batch.add_column(sa.Column("breaker_state", sa.String(10), nullable=False, server_default="closed"))
        batch.add_column(sa.Column("breaker_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("breaker_failures", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "call_samples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "integration_id",
            sa.Integer,
            sa.ForeignKey("integrations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("error_kind", sa.String(20), nullable=False, server_default=""),
        sa.Column("source", sa.String(10), nullable=False, server_default="check"),
    )
    op.create_index("ix_call_samples_integration_at", "call_samples", ["integration_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_call_samples_integration_at", table_name="call_samples")
    op.drop_table("call_samples")
    with op.batch_alter_table("integrations") as batch:
        for column in (
            "last_error_at",
            "last_error",
            "last_success_at",
            "breaker_failures",
            "breaker_since",
            "breaker_state",
        ):
            batch.drop_column(column)
