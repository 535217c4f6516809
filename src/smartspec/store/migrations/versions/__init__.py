"""Alembic revisions of the workspace store, oldest first (``0001_...``, ``0002_...``)."""
