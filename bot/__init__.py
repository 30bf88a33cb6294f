"""Atiende engine: configuration, storage, conversation routing, tickets and the CLI."""
