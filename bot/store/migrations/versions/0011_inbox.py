"""inbox: index contact_identities.contact_id (a conversation's contact card lists the
customer's addresses; without it every page view scanned every identity)

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 14:15:00
"""

from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contact_identities_contact_id", "contact_identities", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_contact_identities_contact_id", table_name="contact_identities")
