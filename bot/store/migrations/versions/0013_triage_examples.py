"""triage_examples: agents' category/priority corrections, examples for triage once approved

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triage_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("triage_examples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_examples_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_triage_examples_ticket_id"), ["ticket_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("triage_examples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_examples_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_triage_examples_status"))
    op.drop_table("triage_examples")
