"""The conversation engine: store inbound messages, route each turn, write replies to the outbox."""
