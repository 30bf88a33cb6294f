"""Local stand-ins for the cloud APIs (Twilio, Telegram), served on 127.0.0.1 by tests."""
