"""Storage: database engine and sessions, SQLAlchemy models, insert helpers and migrations."""
