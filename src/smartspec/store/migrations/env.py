"""Alembic environment: runs the store's revisions on the connection given by the caller.

:func:`smartspec.store.db.upgrade` passes an open connection in ``config.attributes``; the
Alembic command line (``alembic -x url=... upgrade head`` with a config whose
``script_location`` points here) falls back to ``sqlalchemy.url``. SQLite ALTERs go through
batch mode (``render_as_batch``), which recreates tables when SQLite cannot alter them.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from smartspec.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=False,
    )


def run_migrations_offline() -> None:
    """Emit the SQL instead of running it (``alembic upgrade head --sql``)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.begin() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
