"""Engines, sessions, migrations and the audit hook of the workspace store.

The store runs on an embedded SQLite file by default and on PostgreSQL for multi-user
deployments:

* ``SMARTSPEC_DATABASE_URL`` (or the ``url`` argument) selects the database. A plain file path
  means SQLite; ``postgresql://`` and ``postgres://`` URLs use the psycopg 3 driver.
* Without either, the store is ``./smartspec.sqlite3`` in the working directory.
* SQLite connections enforce foreign keys, use write-ahead logging (WAL) and wait up to 15 s for
  a lock. Transactions are real: the connection emits ``BEGIN`` itself instead of relying on
  pysqlite's implicit transactions, so every :func:`session_scope` (DDL included) is atomic.
* SQLite admits one writer at a time, and a transaction that read before another writer
  committed can no longer write (``database is locked``, whatever the timeout). A session made
  with ``write=True`` therefore begins its transactions with ``BEGIN IMMEDIATE``: it waits for
  the write lock first, then reads and writes without that failure. The web application does
  so for every changing request; on PostgreSQL the flag changes nothing.
* Connection pools: SQLite keeps up to 40 connections per process (they are cheap, and every
  request thread may need one), PostgreSQL 10 plus 10 on demand per process (a deployment of
  4 workers stays well below the server's default of 100 connections).

Every change made through an ORM session of this module (:func:`session_scope`,
:func:`make_session`) is written to ``audit_log`` in the same transaction: who (``user``), when,
which table and row, and the column values before and after. Bulk SQL statements bypass the hook;
the service layer never uses them for changes.

Examples
--------
>>> from smartspec.store import db
>>> url = "sqlite:///:memory:"
>>> db.upgrade(url)                      # doctest: +SKIP
>>> with db.session_scope(url, user="ana") as session:   # doctest: +SKIP
...     ...
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .models import AuditLog, Base, Workspace, utcnow

__all__ = [
    "DEFAULT_SQLITE_FILE",
    "ENV_VAR",
    "StoreSession",
    "alembic_config",
    "current_revision",
    "database_url",
    "dispose_engines",
    "downgrade",
    "get_engine",
    "head_revision",
    "make_session",
    "session_scope",
    "upgrade",
]

#: Environment variable holding the database URL.
ENV_VAR = "SMARTSPEC_DATABASE_URL"
#: The embedded database used when no URL is given (relative to the working directory).
DEFAULT_SQLITE_FILE = "smartspec.sqlite3"
#: Directory of the Alembic environment shipped inside the package.
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

#: PostgreSQL advisory-lock key that serialises concurrent migrations ("smartspc" in ASCII).
_MIGRATION_LOCK = 0x736D617274737063
_engines: dict[tuple[str, bool], Engine] = {}
_engines_lock = threading.Lock()
#: Execution option naming the statement that begins a SQLite transaction.
_BEGIN_OPTION = "smartspec_sqlite_begin"
#: Per engine: the session factories for reading and for writing (see make_session).
_factories: weakref.WeakKeyDictionary[Engine, dict[bool, sessionmaker[StoreSession]]] = \
    weakref.WeakKeyDictionary()


def database_url(url: str | os.PathLike[str] | None = None) -> str:
    """Resolve the store's database URL.

    Parameters
    ----------
    url : str or path-like, optional
        A SQLAlchemy URL, or a path to a SQLite file. Defaults to ``$SMARTSPEC_DATABASE_URL``,
        then to ``./smartspec.sqlite3``.

    Returns
    -------
    str
        A SQLAlchemy URL. SQLite paths are made absolute; ``postgresql://`` and
        ``postgres://`` are given the installed psycopg 3 driver (``postgresql+psycopg://``).
    """
    raw = os.fspath(url) if url is not None else os.environ.get(ENV_VAR) or DEFAULT_SQLITE_FILE
    raw = raw.strip()
    if not raw:
        raise ValueError(f"empty database URL (check {ENV_VAR})")
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def _is_memory(url: str) -> bool:
    database = make_url(url).database
    return database in (None, "", ":memory:") or "mode=memory" in url


def _make_engine(url: str, *, foreign_keys: bool = True, begin: str = "BEGIN") -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if not _is_memory(url) and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    memory = _is_memory(url)
    pool = {} if memory else {"pool_size": 40, "max_overflow": 10}
    engine = create_engine(url, connect_args={"timeout": 15}, **pool)

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite (which would not wrap DDL or reads) and
        # set the pragmas outside of any transaction, where they take effect.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA busy_timeout=15000")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN_OPTION, begin))

    return engine


def get_engine(url: str | os.PathLike[str] | None = None) -> Engine:
    """The (cached) engine for ``url``; see :func:`database_url` for the defaults.

    One engine exists per URL and process, so repeated calls share the connection pool.
    """
    resolved = database_url(url)
    key = (resolved, True)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = _make_engine(resolved)
    return engine


def dispose_engines() -> None:
    """Close every cached engine's connections (tests, forks, shutdown)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


# --------------------------------------------------------------------------- sessions + audit


class StoreSession(Session):
    """ORM session whose flushes write the audit log (see :func:`_audit_after_flush`).

    ``session.info["user"]`` names who makes the changes (default ``"system"``) and
    ``session.info["context"]`` optionally says as part of what (``"import actors.csv"``).
    """


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def row_dict(obj: Base) -> dict[str, Any]:
    """Column values of an ORM object as JSON-safe values (loaded values only: never emits SQL)."""
    state = inspect(obj)
    return {attr.key: _json_value(state.dict.get(attr.key))
            for attr in state.mapper.column_attrs}


def _object_id(obj: Base) -> str:
    identity = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join(str(part) for part in identity)


def _workspace_of(obj: Base) -> int | None:
    if isinstance(obj, Workspace):
        return obj.id
    return getattr(obj, "workspace_id", None)


_AUDIT_IGNORED = frozenset({"updated_at"})


def _changes(obj: Base) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in _AUDIT_IGNORED:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new and history.deleted:
            continue
        before[attr.key] = _json_value(old)
        after[attr.key] = _json_value(new)
    return before, after


@event.listens_for(StoreSession, "after_flush")
def _audit_after_flush(session: Session, _flush_context: Any) -> None:
    """Write one ``audit_log`` row per inserted, updated and deleted row of the flush."""
    who = str(session.info.get("user") or "system")
    context = str(session.info.get("context") or "")
    now = utcnow()
    rows: list[dict[str, Any]] = []

    def add(obj: Base, action: str, before: Any, after: Any) -> None:
        rows.append({"workspace_id": _workspace_of(obj), "who": who, "at": now,
                     "action": action, "table_name": obj.__tablename__,
                     "object_id": _object_id(obj), "before": before, "after": after,
                     "context": context})

    for obj in session.new:
        if isinstance(obj, Base) and not isinstance(obj, AuditLog):
            add(obj, "create", None, row_dict(obj))
    for obj in session.dirty:
        if isinstance(obj, Base) and not isinstance(obj, AuditLog) and session.is_modified(obj):
            before, after = _changes(obj)
            if after:
                add(obj, "update", before, after)
    for obj in session.deleted:
        if isinstance(obj, Base) and not isinstance(obj, AuditLog):
            add(obj, "delete", row_dict(obj), None)
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


def _factory(engine: Engine, write: bool) -> sessionmaker[StoreSession]:
    with _engines_lock:
        per_engine = _factories.setdefault(engine, {})
        factory = per_engine.get(write)
        if factory is None:
            bind = engine
            if write and engine.dialect.name == "sqlite":
                bind = engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
            factory = per_engine[write] = sessionmaker(bind=bind, class_=StoreSession,
                                                       expire_on_commit=False)
    return factory


def make_session(url: str | os.PathLike[str] | Engine | None = None, *,
                 user: str | None = None, context: str | None = None,
                 write: bool = False) -> StoreSession:
    """A new :class:`StoreSession` (the caller commits and closes it).

    ``write=True``: the session is meant to change data; on SQLite its transactions take the
    write lock when they begin (``BEGIN IMMEDIATE``, see the module docstring).
    """
    engine = url if isinstance(url, Engine) else get_engine(url)
    session = _factory(engine, write)()
    session.info["user"] = user or "system"
    if context:
        session.info["context"] = context
    return session


@contextmanager
def session_scope(url: str | os.PathLike[str] | Engine | None = None, *,
                  user: str | None = None, context: str | None = None,
                  write: bool = False) -> Iterator[StoreSession]:
    """A transaction: commit when the block ends, roll *everything* back on any exception.

    Parameters
    ----------
    url : str, path-like or Engine, optional
        The database (see :func:`database_url`).
    user : str, optional
        Who makes the changes, recorded in the audit log (default ``"system"``).
    context : str, optional
        What operation the changes belong to, recorded in the audit log.
    write : bool
        Take SQLite's write lock when the transaction begins (see :func:`make_session`).

    Examples
    --------
    >>> with session_scope("demo.sqlite3", user="ana") as s:   # doctest: +SKIP
    ...     services.create_workspace(s, "Tirol S3", region="AT33")
    """
    session = make_session(url, user=user, context=context, write=write)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --------------------------------------------------------------------------------- migrations


def alembic_config(url: str | os.PathLike[str] | None = None) -> Any:
    """An Alembic :class:`~alembic.config.Config` for the migrations shipped in the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return config


def _run_alembic(url: str | os.PathLike[str] | None, operation: str, revision: str) -> None:
    from alembic import command
    from sqlalchemy import text

    resolved = database_url(url)
    config = alembic_config(resolved)
    # Migrations run with SQLite foreign keys OFF: batch mode recreates tables (DROP + RENAME),
    # which would otherwise fire ON DELETE CASCADE. The result is checked before committing.
    # Concurrent upgrades (several web workers starting at once) are serialised: SQLite takes
    # the write lock at BEGIN IMMEDIATE, PostgreSQL an advisory lock; the later ones then find
    # the database at the target revision and do nothing.
    engine = _make_engine(resolved, foreign_keys=False, begin="BEGIN IMMEDIATE")
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = connection
            getattr(command, operation)(config, revision)
            if connection.dialect.name == "sqlite":
                problems = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
                if problems:
                    raise RuntimeError(f"migration to {revision} broke foreign keys: "
                                       f"{problems[:5]}")
    finally:
        engine.dispose()


def upgrade(url: str | os.PathLike[str] | None = None, revision: str = "head") -> None:
    """Create or migrate the database to ``revision`` (default: the latest), in one transaction.

    Idempotent: a database already at ``revision`` is left alone.
    """
    _run_alembic(url, "upgrade", revision)


def downgrade(url: str | os.PathLike[str] | None, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"`` removes every table)."""
    _run_alembic(url, "downgrade", revision)


def current_revision(url: str | os.PathLike[str] | Engine | None = None) -> str | None:
    """The database's Alembic revision (``None`` for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    engine = url if isinstance(url, Engine) else get_engine(url)
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The latest revision shipped with the package."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head
