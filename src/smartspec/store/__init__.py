"""The workspace store: the only place where smartspec persists anything.

A *workspace* is one region's S3 process: its regions, selected transformative activities (with
the evidence snapshot behind each choice), actors, actions, consortia, funding instruments,
good practices, monitoring records and an audit log of every change. SQLAlchemy 2 models with
Alembic migrations; an embedded SQLite file by default, PostgreSQL through
``SMARTSPEC_DATABASE_URL=postgresql+psycopg://...``.

Modules
-------
:mod:`~smartspec.store.db`
    ``get_engine``, ``session_scope`` (one transaction, rolled back on any error),
    ``upgrade`` / ``downgrade`` (migrations shipped in the package), the audit hook.
:mod:`~smartspec.store.models`
    The ORM tables.
:mod:`~smartspec.store.services`
    Every change: workspaces, regions, TAs, actors, actions, consortia, funding instruments,
    good practices, monitoring records; validation with clear messages.
:mod:`~smartspec.store.exchange`
    Export / import of a whole workspace (JSON or ZIP).
:mod:`~smartspec.store.planning`
    Evidence -> diagnosis -> stored strategy and consortium (glue to the pure domain logic).
:mod:`~smartspec.store.strategy_doc`
    The strategy document (HTML).
:mod:`~smartspec.store.demo`
    ``seed_demo``: the demo workspace.

Examples
--------
>>> from smartspec.store import db, services
>>> db.upgrade("demo.sqlite3")                                  # doctest: +SKIP
>>> with db.session_scope("demo.sqlite3", user="ana") as s:     # doctest: +SKIP
...     ws = services.create_workspace(s, "Tirol S3", region="AT33")
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "db",
    "demo",
    "exchange",
    "get_engine",
    "models",
    "planning",
    "seed_demo",
    "services",
    "session_scope",
    "strategy_doc",
    "upgrade",
]

_SUBMODULES = {"db", "demo", "exchange", "models", "planning", "services", "strategy_doc"}
_NAMES = {"get_engine": "db", "session_scope": "db", "upgrade": "db", "seed_demo": "demo"}


def __getattr__(name: str) -> Any:
    """Import submodules on first use (keeps ``import smartspec.store`` and the CLI light)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
