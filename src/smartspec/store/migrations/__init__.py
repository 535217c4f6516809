"""Alembic environment of the workspace store (run through :func:`smartspec.store.db.upgrade`)."""
