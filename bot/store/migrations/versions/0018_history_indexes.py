"""history indexes: a customer's latest messages, tickets and conversations, one row each

Every turn reads its customer's latest ticket, open ticket and conversation, and every agents'
notice quotes the customer's last 20 messages. Those reads sorted, grouped or windowed over all
of the customer's rows, so a customer with a long history (a monitoring address that writes
every day, a ticket with thousands of messages) made each of their messages dearer: SQLite's
work for one message grew about 150-fold with 2,000 earlier tickets and conversations, and
`route_cpu` went 0.49 → 0.69 → 0.98 ms a message with 0, 100 and 300 earlier messages per
customer. With these indexes each read is a range scan with a LIMIT:

- messages (ticket_id, direction, id) and (conversation_id, direction, id): the transcript;
- tickets (contact_id, updated_at, id): the latest ticket; (contact_id, status, updated_at,
  id): the latest open one (a status at a time, not a walk through the closed ones);
- conversations (contact_id, channel, address, id): an address's latest conversation;
- messages (id, contact_id) where not routed yet (partial): the retry job's minute-by-minute
  look for stranded messages scanned the whole table; with several workers, a customer's
  earlier unrouted messages were looked for among all of theirs.

The single-column indexes these begin with (messages.ticket_id, tickets.contact_id,
conversations.contact_id) are dropped: every lookup they served is served by the new ones,
and each index is one more write for every stored message.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 21:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

INDEXES = {
    "messages": {"ix_messages_ticket_transcript": ["ticket_id", "direction", "id"],
                 "ix_messages_conversation_transcript": ["conversation_id", "direction", "id"]},
    "tickets": {"ix_tickets_contact_latest": ["contact_id", "updated_at", "id"],
                "ix_tickets_contact_status": ["contact_id", "status", "updated_at", "id"]},
    "conversations": {"ix_conversations_address": ["contact_id", "channel", "address", "id"]},
}


REPLACED = {"messages": ("ix_messages_ticket_id", ["ticket_id"]),
            "tickets": ("ix_tickets_contact_id", ["contact_id"]),
            "conversations": ("ix_conversations_contact_id", ["contact_id"])}


UNROUTED_ROW = "direction = 'in' AND status IN ('received', 'failed')"   # models.UNROUTED_ROW
# 0017's ix_outbox_line becomes partial: only rows not sent yet (what the claim's checks read).
# Over every row it kept the sent history too and made PostgreSQL's claims slower:
# multi_worker, 1 worker, 21.6 msg/s with it, 29.7 without.
OPEN_OUTBOX_ROW = "status IN ('pending', 'sending')"   # models.OPEN_OUTBOX_ROW
OUTBOX_LINE = ["recipient", "channel", "status", "next_attempt_at"]


# A message is stored without a ticket or a conversation (routing links it): those two
# indexes leave such rows out, so storing writes neither.
PARTIAL = {"ix_messages_ticket_transcript": "ticket_id IS NOT NULL",
           "ix_messages_conversation_transcript": "conversation_id IS NOT NULL"}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, columns in indexes.items():
                where = {f"{dialect}_where": sa.text(PARTIAL[name])
                         for dialect in ("sqlite", "postgresql")} if name in PARTIAL else {}
                batch_op.create_index(name, columns, unique=False, **where)
            batch_op.drop_index(REPLACED[table][0])
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_unrouted", ["id", "contact_id"], unique=False,
                              sqlite_where=sa.text(UNROUTED_ROW),
                              postgresql_where=sa.text(UNROUTED_ROW))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_line")
        batch_op.create_index("ix_outbox_line", OUTBOX_LINE, unique=False,
                              sqlite_where=sa.text(OPEN_OUTBOX_ROW),
                              postgresql_where=sa.text(OPEN_OUTBOX_ROW))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_line")
        batch_op.create_index("ix_outbox_line", OUTBOX_LINE, unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_unrouted")
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(*REPLACED[table], unique=False)
            for name in reversed(list(indexes)):
                batch_op.drop_index(name)
