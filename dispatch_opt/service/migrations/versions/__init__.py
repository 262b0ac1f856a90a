"""Schema versions, oldest first (Alembic skips this file)."""
