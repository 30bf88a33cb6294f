"""kb_proposals: customer questions an agent tied to an article with #kb, to approve or reject

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-03 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(length=120), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("kb_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_proposals_article_id"), ["article_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_kb_proposals_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kb_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_proposals_status"))
        batch_op.drop_index(batch_op.f("ix_kb_proposals_article_id"))
    op.drop_table("kb_proposals")
