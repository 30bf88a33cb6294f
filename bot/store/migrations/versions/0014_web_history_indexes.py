"""indexes for a conversation read by address: the widget's history (messages by channel and
sender, outbox rows by channel and recipient) without scanning the tables

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:00:00
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_channel_sender", "messages", ["channel", "sender", "id"])
    op.create_index("ix_outbox_channel_recipient", "outbox", ["channel", "recipient", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_channel_recipient", table_name="outbox")
    op.drop_index("ix_messages_channel_sender", table_name="messages")
