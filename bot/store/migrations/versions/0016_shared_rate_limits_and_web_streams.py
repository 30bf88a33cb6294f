"""rate_limits (counts shared by every worker) and web_streams (the widget's open streams on
every worker, so a reply is not also mailed to a visitor watching on another worker)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 00:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("previous_hits", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "subject"),
    )
    op.create_index("ix_rate_limits_expires", "rate_limits", ["expires"])
    op.create_table(
        "web_streams",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("worker", sa.String(length=32), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_streams_address", "web_streams", ["address"])
    op.create_index("ix_web_streams_worker", "web_streams", ["worker"])
    op.create_index("ix_web_streams_expires_at", "web_streams", ["expires_at"])


def downgrade() -> None:
    op.drop_table("web_streams")
    op.drop_table("rate_limits")
