"""The email channel: SMTP and IMAP in, parsing, loop brakes, threading, SMTP out."""
