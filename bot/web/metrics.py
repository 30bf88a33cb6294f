"""Prometheus counters and gauges that /metrics exposes."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

INBOUND_MESSAGES = Counter("atiende_inbound_messages", "Inbound messages stored", ["channel"])
DUPLICATE_MESSAGES = Counter("atiende_duplicate_messages",
                             "Inbound messages ignored as provider retries", ["channel"])
ROUTING_FAILURES = Counter("atiende_routing_failures", "Messages the engine failed to handle")
KB_ANSWERS = Counter("atiende_kb_answers", "Answers given from the knowledge base")
TICKETS_CREATED = Counter("atiende_tickets_created", "Tickets created by the bot")
OUTBOX_SENT = Counter("atiende_outbox_sent", "Outbound messages delivered", ["channel"])
OUTBOX_FAILED = Counter("atiende_outbox_failures", "Failed delivery attempts", ["channel"])
OUTBOX_DEAD_LETTERS = Counter("atiende_outbox_dead_letters",
                              "Outbound messages given up on after the last attempt", ["channel"])
OUTBOX_ROWS = Gauge("atiende_outbox_rows",
                    "Outbox rows by status, read from the database when /metrics is scraped",
                    ["status"])
