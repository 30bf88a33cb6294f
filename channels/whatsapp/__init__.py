"""WhatsApp through Twilio: signed webhooks in, the Messages API out, the 24 h window."""
