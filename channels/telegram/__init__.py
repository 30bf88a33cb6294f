"""Telegram through python-telegram-bot: webhook or polling in, sendMessage out."""
