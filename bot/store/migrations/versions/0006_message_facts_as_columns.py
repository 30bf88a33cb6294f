"""messages: what the adapter read (subject, reply_to, language_hint, is_automated,
claimed_ticket) and the engine's route_failures become columns; `raw` keeps only the payload

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FACTS = ("subject", "reply_to", "language_hint", "is_automated", "ticket_number")
BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("subject", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reply_to", sa.String(320), nullable=True))
        batch.add_column(sa.Column("language_hint", sa.String(8), nullable=True))
        batch.add_column(sa.Column("is_automated", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("claimed_ticket", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("route_failures", sa.Integer(), nullable=False,
                                   server_default="0"))
    move_facts_out_of_raw()


def move_facts_out_of_raw() -> None:
    """Rows written before this revision kept these facts in raw["_atiende"]."""
    bind = op.get_bind()
    messages = sa.table("messages", sa.column("id", sa.Integer), sa.column("raw", sa.JSON),
                        *(sa.column(name) for name in (
                            "subject", "reply_to", "language_hint", "is_automated",
                            "claimed_ticket", "route_failures")))
    last = 0
    while rows := bind.execute(sa.select(messages.c.id, messages.c.raw)
                               .where(messages.c.id > last).order_by(messages.c.id)
                               .limit(BATCH)).all():
        last = rows[-1].id
        for row in rows:
            if isinstance(row.raw, dict) and "_atiende" in row.raw:
                bind.execute(messages.update().where(messages.c.id == row.id)
                             .values(**facts_of(row.raw)))


def facts_of(raw: dict) -> dict:
    meta = raw.get("_atiende") or {}
    return {"raw": {key: value for key, value in raw.items() if key != "_atiende"},
            "subject": meta.get("subject"), "reply_to": meta.get("reply_to"),
            "language_hint": meta.get("language_hint"),
            "is_automated": bool(meta.get("is_automated")),
            "claimed_ticket": meta.get("ticket_number"),
            "route_failures": int(meta.get("route_failures", 0))}


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        for name in ("route_failures", "claimed_ticket", "is_automated", "language_hint",
                     "reply_to", "subject"):
            batch.drop_column(name)
