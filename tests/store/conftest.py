"""Fixtures of the store tests: one embedded SQLite file and one real PostgreSQL database each.

PostgreSQL
----------
``pg_url`` (session scope) needs a server on 127.0.0.1:5432 that lets user ``postgres`` in
without a password (trust authentication), as on most CI machines; set
``SMARTSPEC_TEST_PG_ADMIN_URL`` to use another server or account. When nothing listens there, it
runs ``scripts/ensure_postgres.sh``, which installs the Debian package ``postgresql`` if needed and
starts a cluster (root only). Each test session (each xdist worker) creates a throwaway database
``smartspec_test_<random>`` and drops it at the end. When no server can be had, the PostgreSQL
tests are skipped with a reason that starts with ``POSTGRESQL UNAVAILABLE:``.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from smartspec.store import db
from smartspec.store.models import Base

ROOT = Path(__file__).resolve().parents[2]
ENSURE_SCRIPT = ROOT / "scripts" / "ensure_postgres.sh"
ADMIN_URL = os.environ.get("SMARTSPEC_TEST_PG_ADMIN_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")

_pg_problem: str | None = None


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _ensure_server() -> str | None:
    """None when a server answers, else the reason why none does."""
    admin = make_url(db.database_url(ADMIN_URL))
    host, port = admin.host or "127.0.0.1", admin.port or 5432
    if _listening(host, port):
        return None
    if host not in ("127.0.0.1", "localhost") or not ENSURE_SCRIPT.is_file():
        return f"nothing listens on {host}:{port}"
    # several xdist workers may get here at once: one runs the script, the others wait
    with open("/tmp/smartspec-ensure-postgres.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _listening(host, port):
            return None
        try:
            proc = subprocess.run(["bash", str(ENSURE_SCRIPT)], capture_output=True, text=True,
                                  timeout=600, env={**os.environ, "PGPORT": str(port)})
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"nothing listens on {host}:{port} and {ENSURE_SCRIPT.name} failed: {exc}"
        print(proc.stdout, proc.stderr)
        if proc.returncode != 0 or not _listening(host, port):
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return (f"nothing listens on {host}:{port} and {ENSURE_SCRIPT.name} could not start "
                    f"a server: {' | '.join(tail)}")
    return None


def _admin_engine():
    return create_engine(db.database_url(ADMIN_URL), isolation_level="AUTOCOMMIT")


def _create_database(prefix: str = "smartspec_test") -> str:
    name = f"{prefix}_{secrets.token_hex(5)}"
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            # A leaked transaction must never hang the suite (e.g. a TRUNCATE waiting for its
            # lock): such sessions are ended, and lock waits fail loudly instead of blocking.
            connection.execute(text(f'ALTER DATABASE "{name}" SET '
                                    "idle_in_transaction_session_timeout = '60s'"))
            connection.execute(text(f'ALTER DATABASE "{name}" SET lock_timeout = \'120s\''))
    finally:
        engine.dispose()
    return str(make_url(db.database_url(ADMIN_URL)).set(database=name)
               .render_as_string(hide_password=False))


def _drop_database(url: str) -> None:
    name = make_url(url).database
    for key, engine in list(db._engines.items()):
        if key[0] == db.database_url(url):
            engine.dispose()
            del db._engines[key]
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def _pg_available() -> str | None:
    """None when databases can be created, else the reason (cached for the session)."""
    global _pg_problem
    if _pg_problem is None:
        problem = _ensure_server()
        if problem is None:
            try:
                engine = _admin_engine()
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                engine.dispose()
            except Exception as exc:  # authentication, permissions ...
                problem = f"cannot connect as {make_url(ADMIN_URL).username}: {exc}".strip()
        _pg_problem = problem or ""
    return _pg_problem or None


def _skip_pg() -> None:
    problem = _pg_available()
    if problem:
        pytest.skip(f"POSTGRESQL UNAVAILABLE: {problem}. The PostgreSQL store tests did NOT "
                    "run; start a server on 127.0.0.1:5432 with trust auth for user postgres "
                    "(scripts/ensure_postgres.sh does this as root) or set "
                    "SMARTSPEC_TEST_PG_ADMIN_URL.")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a throwaway PostgreSQL database (migrated to head), dropped at the end."""
    _skip_pg()
    url = _create_database()
    try:
        db.upgrade(url)
        yield url
    finally:
        _drop_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, copied by each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("store-template") / "template.sqlite3"
    db.upgrade(path)
    db.dispose_engines()
    return path


def _truncate(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.get_engine(url).begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store at the head revision, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = db.database_url(path)
        yield url
        engine = db._engines.pop((url, True), None)
        if engine is not None:
            engine.dispose()
    else:
        url = request.getfixturevalue("pg_url")
        _truncate(url)
        yield url


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database (no tables), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = db.database_url(tmp_path / "empty.sqlite3")
        yield url
        engine = db._engines.pop((url, True), None)
        if engine is not None:
            engine.dispose()
    else:
        _skip_pg()
        url = _create_database("smartspec_migrate")
        try:
            yield url
        finally:
            _drop_database(url)


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every store table (to compare a store before and after a refused change)."""
    out = {}
    with db.get_engine(url).connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(table.select().order_by(*table.primary_key.columns))
            out[table.name] = [tuple(row) for row in rows]
    return out


@pytest.fixture
def rows_of():
    """``rows_of(url)``: every row of every table, to check that a refused change left no trace."""
    return snapshot


@pytest.fixture(scope="session")
def pg_server(pg_url) -> tuple[str, int, Path]:
    """``(host, port, ensure_postgres.sh)`` of the server behind :func:`pg_url`."""
    url = make_url(db.database_url(ADMIN_URL))
    return url.host or "127.0.0.1", url.port or 5432, ENSURE_SCRIPT


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # pragma: no cover
    """Repeat loudly, at the end of the run, that the PostgreSQL tests were skipped."""
    if _pg_problem:
        terminalreporter.write_sep("!", "POSTGRESQL UNAVAILABLE: the PostgreSQL store tests "
                                        "were SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_pg_problem)
