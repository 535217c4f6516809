"""Store sessions: SQLite's write lock taken at BEGIN for writers, and the change marks that key
the web caches."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import select

from smartspec.store import db
from smartspec.store import services as svc
from smartspec.store import web_services as wsvc
from smartspec.store.models import Workspace


@pytest.fixture
def sqlite_url(tmp_path):
    url = db.database_url(tmp_path / "store.sqlite3")
    db.upgrade(url)
    yield url
    db.dispose_engines()


def _try_write_lock(path: str) -> bool:
    """Whether another connection gets SQLite's write lock at once."""
    raw = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        raw.close()


def test_a_write_session_takes_the_sqlite_write_lock_when_it_begins(sqlite_url):
    path = sqlite_url.removeprefix("sqlite:///")
    writer = db.make_session(sqlite_url, write=True)
    try:
        writer.execute(select(Workspace.id)).all()  # a read, yet the lock is taken
        assert not _try_write_lock(path)
        writer.rollback()
        assert _try_write_lock(path)
    finally:
        writer.close()
    reader = db.make_session(sqlite_url)
    try:
        reader.execute(select(Workspace.id)).all()
        assert _try_write_lock(path)  # a reader leaves the writers alone
    finally:
        reader.close()


def _interleaved(url: str, *, write: bool) -> list[BaseException]:
    """A reads, B reads, then both write and commit: the errors."""
    first = db.make_session(url, write=write, user="first")
    second = db.make_session(url, write=write, user="second")
    first_began, second_read = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def other() -> None:
        try:
            first_began.wait(10)
            ws = svc.get_workspace(second, "tirol")  # a write session waits here for A
            second_read.set()
            ws.description = "second"
            second.commit()
        except BaseException as exc:
            failure.append(exc)
            second.rollback()

    thread = threading.Thread(target=other)
    thread.start()
    try:
        ws = svc.get_workspace(first, "tirol")
        first_began.set()
        second_read.wait(0.5)  # B has read by now, unless it waits for the lock
        ws.description = "first"
        try:
            first.commit()
        except BaseException as exc:
            failure.append(exc)
            first.rollback()
        thread.join(30)
    finally:
        first.close()
        second.close()
    return failure


def test_a_read_then_write_transaction_waits_instead_of_failing(sqlite_url):
    """What write sessions are for: a plain transaction that read before another writer
    committed cannot write any more; a write session waits for the lock and succeeds."""
    from sqlalchemy.exc import OperationalError

    with db.session_scope(sqlite_url) as s:
        svc.create_workspace(s, "Tirol", region="AT33", slug="tirol")
    errors = _interleaved(sqlite_url, write=False)
    assert errors and all(isinstance(e, OperationalError) and "locked" in str(e)
                          for e in errors)
    assert _interleaved(sqlite_url, write=True) == []
    with db.session_scope(sqlite_url) as s:
        assert svc.get_workspace(s, "tirol").description == "second"


def test_change_marks_move_with_their_tables_only(sqlite_url):
    with db.session_scope(sqlite_url, user="ana") as s:
        ws = svc.create_workspace(s, "Tirol", region="AT33", slug="tirol")
        other = svc.create_workspace(s, "Salzburg", region="AT32", slug="salzburg")
        ws_id, other_id = ws.id, other.id
    tables = ("workspaces", "actors", "selected_tas")
    with db.session_scope(sqlite_url) as s:
        before = svc.change_marks(s, "tirol", tables)
        assert before[0] > 0 and before[1:] == (0, 0)
        assert svc.change_marks(s, ws_id, tables) == before  # by id as well
        assert svc.change_marks(s, "tirol", ()) == ()
    with db.session_scope(sqlite_url, user="ana") as s:
        svc.add_actor(s, "tirol", {"name": "Alpine Labs", "actor_type": "firm",
                                   "region": "AT33"})
    with db.session_scope(sqlite_url) as s:
        after = svc.change_marks(s, "tirol", tables)
        assert after[0] == before[0] and after[2] == 0 and after[1] > before[0]
        # another workspace's change leaves this one's marks alone
        assert svc.change_marks(s, other_id, ("actors",)) == (0,)
        users_before = svc.change_marks(s, None, ("users",))
    with db.session_scope(sqlite_url) as s:
        wsvc.create_user(s, "nina", "nina-secret-pw-1", display_name="Nina")
    with db.session_scope(sqlite_url) as s:
        assert svc.change_marks(s, None, ("users",))[0] > users_before[0]
        assert svc.change_marks(s, "tirol", tables) == after
