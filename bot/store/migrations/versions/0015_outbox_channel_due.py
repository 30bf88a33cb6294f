"""outbox: index (status, channel, next_attempt_at) for the dispatcher's due query

Rows for a channel that is off (say, agents' mail while email is not configured) stay pending;
with only (status, next_attempt_at) every claim read them all to filter on channel.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:50:00
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_channel_due", ["status", "channel", "next_attempt_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_channel_due")
