"""The email channel: SMTP and IMAP in, parsing, loop brakes, signed reply addresses, SMTP out."""
