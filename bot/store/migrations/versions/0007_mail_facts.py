"""messages: what the email adapter read about a mail's thread (claim_verified, in_reply_to,
thread_references, automated_reasons) and the ticket the engine found for it (thread)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 11:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("claim_verified", "in_reply_to", "thread_references", "automated_reasons", "thread")


def upgrade() -> None:
    """New columns only: earlier mail was routed with what it had, nothing to move."""
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("claim_verified", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("in_reply_to", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("thread_references", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("automated_reasons", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("thread", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
