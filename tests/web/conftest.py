"""Shared fixtures of the web tests (API and pages): an app on a seeded store and users of
every role.

The store (built once per test session, then copied for each test) holds

* the demo workspace ``demo-at31`` (:func:`smartspec.store.demo.seed_demo`) with the members
  ``olga`` (owner), ``anna`` (analyst), ``sam`` and ``stella`` (stakeholders), ``vic``
  (viewer);
* a second workspace ``rival`` (same demo content) owned by ``otto``, with an open EDW (scored
  by otto, with a decision) and an invitation: the target of the isolation tests;
* ``ada``, a site administrator who is a member of no workspace.

Every user's password is :func:`password` of the name. Fixtures:

``web_url``        a fresh SQLite copy of the seeded store (function scope)
``web_app``        :func:`smartspec.web.app.create_app` on it
``client``         an anonymous ``TestClient`` of ``web_app``
``signed_in``      ``signed_in("anna")``: a ``TestClient`` signed in as anna, whose requests
                   carry the session's ``X-CSRF-Token`` header
``pg_web_url``     the same seeded store on a real PostgreSQL database (session scope: tests
                   on it must not depend on each other's changes)
``api_backend``    parametrised ``(name, url)`` over SQLite (fresh copy) and PostgreSQL
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette's note that httpx2 exists; httpx works
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from web_support import (  # noqa: F401 - re-exported for the test modules
    DEMO,
    RIVAL,
    ROLE_USERS,
    TEST_SECRET,
    USERS,
    copy_store,
    forget_engine,
    make_app,
    message,
    password,
    seed_web,
    sign_in,
)

from smartspec.store import db

_STORE_CONFTEST = Path(__file__).resolve().parents[1] / "store" / "conftest.py"
_spec = importlib.util.spec_from_file_location("smartspec_tests_store_conftest", _STORE_CONFTEST)
assert _spec is not None and _spec.loader is not None
_store_conftest = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _store_conftest
_spec.loader.exec_module(_store_conftest)

#: The PostgreSQL database fixture of the store tests (a throwaway database at head).
pg_url = _store_conftest.pg_url


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded SQLite store, built once per session (copied by :func:`web_url`)."""
    path = tmp_path_factory.mktemp("web-template") / "template.sqlite3"
    seed_web(db.database_url(path))
    engine = db.get_engine(path)
    with engine.begin() as connection:  # fold the write-ahead log into the file
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose_engines()
    return path


@pytest.fixture
def web_url(web_template: Path, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the seeded store (SQLite)."""
    url = copy_store(web_template, tmp_path / "web.sqlite3")
    yield url
    forget_engine(url)


@pytest.fixture
def web_app(web_url: str):
    """The application on :func:`web_url`."""
    return make_app(web_url)


@pytest.fixture
def client(web_app) -> Iterator[TestClient]:
    """An anonymous client."""
    with TestClient(web_app) as c:
        yield c


@pytest.fixture
def signed_in(web_app) -> Iterator[Callable[[str], TestClient]]:
    """``signed_in(name)``: a client of ``web_app`` signed in as ``name``."""
    clients: list[TestClient] = []

    def factory(username: str) -> TestClient:
        c = sign_in(web_app, username)
        clients.append(c)
        return c

    yield factory
    for c in clients:
        c.close()


@pytest.fixture(scope="session")
def pg_web_url(pg_url: str) -> str:
    """The seeded store on PostgreSQL (built once per session, shared by the tests)."""
    seed_web(pg_url)
    return pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def api_backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """``(backend, url)``: a fresh SQLite copy, or the shared seeded PostgreSQL database."""
    if request.param == "sqlite":
        return "sqlite", request.getfixturevalue("web_url")
    return "postgresql", request.getfixturevalue("pg_web_url")
