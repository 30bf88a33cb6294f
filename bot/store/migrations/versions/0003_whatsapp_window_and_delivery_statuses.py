"""whatsapp window and delivery statuses

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:25:57.968866
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("provider_message_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=20), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "provider_message_id", "status", name="uq_delivery_status"),
    )
    with op.batch_alter_table("delivery_statuses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_statuses_outbox_id"), ["outbox_id"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template_required_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("template_required_at")

    with op.batch_alter_table("delivery_statuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_statuses_outbox_id"))

    op.drop_table("delivery_statuses")
