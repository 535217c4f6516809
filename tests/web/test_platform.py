"""The platform's plumbing: the per-request transaction, the evidence cache, migration 0004."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient
from sqlalchemy import event, inspect, select
from web_support import DEMO, make_app, sign_in

from smartspec.store import db
from smartspec.store import services as svc
from smartspec.store.models import Workspace
from smartspec.web.cache import EvidenceCache, weights_key
from smartspec.web.deps import get_db

# ------------------------------------------------------------------------ request transaction


@pytest.fixture
def probe_app(web_url):
    """The app with test routes that change the workspace description and then end in
    different ways."""
    app = make_app(web_url)

    def change(request: Request, text: str) -> None:
        svc.update_workspace(get_db(request), DEMO, description=text)

    @app.post("/_test/ok")
    def ok(request: Request) -> dict[str, str]:
        change(request, "committed")
        return {"ok": "yes"}

    @app.post("/_test/refused")
    def refused(request: Request) -> None:
        change(request, "refused")
        raise HTTPException(status_code=409, detail="no")

    @app.post("/_test/crash")
    def crash(request: Request) -> None:
        change(request, "crashed")
        raise RuntimeError("boom")

    @app.post("/_test/commit-fails")
    def commit_fails(request: Request) -> dict[str, str]:
        change(request, "never stored")

        def refuse(_session: object) -> None:
            raise RuntimeError("the database refused the commit")

        event.listen(get_db(request), "before_commit", refuse)
        return {"ok": "yes"}

    return app


def _description(url: str) -> str:
    with db.session_scope(url) as s:
        return s.scalar(select(Workspace.description).where(Workspace.slug == DEMO))


def test_changes_commit_only_with_a_successful_response(probe_app, web_url):
    c = sign_in(probe_app, "vic")
    original = _description(web_url)
    assert c.post("/_test/refused").status_code == 409
    assert _description(web_url) == original
    crash_client = sign_in(probe_app, "vic")
    crash_client = TestClient(probe_app, raise_server_exceptions=False,
                              cookies=crash_client.cookies, headers=crash_client.headers)
    assert crash_client.post("/_test/crash").status_code == 500
    assert _description(web_url) == original
    r = c.post("/_test/commit-fails")
    assert r.status_code == 500 and r.json() == {"detail": "the change could not be saved"}
    assert _description(web_url) == original
    assert c.post("/_test/ok").json() == {"ok": "yes"}
    assert _description(web_url) == "committed"
    with db.session_scope(web_url) as s:  # the audit log names the signed-in user
        (entry,) = svc.audit_entries(s, DEMO, table="workspaces", limit=1)
        assert entry.who == "vic" and entry.after == {"description": "committed"}


def test_every_request_gets_its_own_session_closed_at_the_end(probe_app):
    sessions = []

    @probe_app.get("/_test/session")
    def session_route(request: Request) -> dict[str, bool]:
        s = get_db(request)
        sessions.append(s)
        return {"same": get_db(request) is s}

    c = TestClient(probe_app)
    assert c.get("/_test/session").json() == {"same": True}
    c.get("/_test/session")
    assert sessions[0] is not sessions[1]
    assert all(not s.in_transaction() for s in sessions)


# ----------------------------------------------------------------------------- evidence cache


class _WS:
    def __init__(self, id_: int, version: str, region: str = "AT31") -> None:
        self.id, self.data_version, self.home_region, self.slug = id_, version, region, "x"


def test_cache_is_a_bounded_lru():
    cache = EvidenceCache(maxsize=2)
    calls = []

    def compute(key):
        return lambda: calls.append(key) or key

    for key in ("a", "b", "a", "c", "b"):
        cache.get_or_compute((1, key), compute(key))
    assert calls == ["a", "b", "c", "b"]  # "b" was evicted by "c" ("a" was used more lately)
    assert cache.stats() == {"hits": 1, "misses": 4, "size": 2}
    with pytest.raises(ValueError):
        EvidenceCache(maxsize=0)


def test_cache_computes_each_key_once_under_concurrency():
    cache = EvidenceCache()
    calls = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 7

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute(("k",), slow)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [7] * 8 and len(calls) == 1


def test_cache_does_not_keep_failures_and_invalidates_per_workspace():
    cache = EvidenceCache()

    def fail() -> None:
        raise RuntimeError("data missing")

    with pytest.raises(RuntimeError):
        cache.get_or_compute((1, "x"), fail)
    assert cache.get_or_compute((1, "x"), lambda: 3) == 3  # retried
    cache.get_or_compute((2, "x"), lambda: 4)
    assert cache.invalidate(1) == 1 and cache.stats()["size"] == 1
    assert cache.invalidate() == 1 and cache.stats()["size"] == 0
    assert weights_key({"b": 1, "a": 0.1234567891}) == (("a", 0.123457), ("b", 1.0))
    assert weights_key(None) == weights_key({}) == ()


def test_cache_keys_by_workspace_data_version_and_weights():
    cache = EvidenceCache()
    first = cache.candidates(_WS(1, "v1"))
    assert cache.candidates(_WS(1, "v1")) is first
    assert cache.candidates(_WS(2, "v1")) is not first  # per workspace
    assert cache.candidates(_WS(1, "v2")) is not first  # per data version
    weighted = cache.candidates(_WS(1, "v1"), {"value": 1.0})
    assert weighted is not first and weighted.attrs["weights"]["value"] == 1.0
    assert cache.candidates(_WS(1, "v1"), {"value": 1.0}) is weighted
    with pytest.raises(ValueError, match="positive"):
        cache.candidates(_WS(1, "v1"), dict.fromkeys(
            ("feasibility", "value", "advantage", "momentum", "transformative_potential",
             "capability_gap"), 0))
    with pytest.raises(ValueError, match="finite"):
        cache.candidates(_WS(1, "v1"), {"value": float("inf")})
    assert cache.profile(_WS(1, "v1")) is cache.profile(_WS(1, "v1"))
    with pytest.raises(ValueError, match="home region"):
        cache.profile(_WS(3, "v1", region=None))


# ------------------------------------------------------------------------------ migration 0004


def test_migration_0004_adds_the_web_tables_and_keeps_the_data(empty_sqlite):
    url = empty_sqlite
    db.upgrade(url, "0003")
    with db.session_scope(url, user="legacy") as s:
        svc.create_workspace(s, "Upper Austria", region="AT31", slug="ua")
    tables = set(inspect(db.get_engine(url)).get_table_names())
    assert "users" not in tables and "workshops" not in tables
    db.upgrade(url)
    web = {"users", "memberships", "web_sessions", "invitations", "login_attempts",
           "workshops", "workshop_scores", "workshop_decisions"}
    db.dispose_engines()
    assert web <= set(inspect(db.get_engine(url)).get_table_names())
    with db.session_scope(url) as s:
        assert svc.get_workspace(s, "ua").home_region == "AT31"
    db.downgrade(url, "0003")
    db.dispose_engines()
    left = set(inspect(db.get_engine(url)).get_table_names())
    assert not web & left and "workspaces" in left
    with db.session_scope(url) as s:
        assert svc.get_workspace(s, "ua").name == "Upper Austria"


@pytest.fixture
def empty_sqlite(tmp_path):
    url = db.database_url(tmp_path / "migrate.sqlite3")
    yield url
    db.dispose_engines()


# ------------------------------------------------------------------ page caches and change marks


def _figure(html: str, label: str) -> str:
    import re

    found = re.search(rf'<div class="label">{label}</div><div class="value">([^<]*)</div>', html)
    assert found, f"no key figure {label!r}"
    return found.group(1)


def test_cached_page_values_follow_every_stored_change(web_app):
    """The dashboard and discovery values are cached per change mark of the tables
    they read: a change through the API shows on the very next page."""
    anna = sign_in(web_app, "anna")
    api = f"/api/v1/workspaces/{DEMO}"
    page = f"/w/{DEMO}"
    actors = int(_figure(anna.get(page).text, "Actors"))
    assert int(_figure(anna.get(page).text, "Actors")) == actors  # served from the cache
    r = anna.post(f"{api}/actors", json={"name": "Cache Probe GmbH", "actor_type": "firm",
                                         "region": "AT31", "activities": ["C28"]})
    assert r.status_code == 201
    assert int(_figure(anna.get(page).text, "Actors")) == actors + 1
    # discovery: selecting a candidate marks its row at once
    cands = anna.get(f"{api}/candidates", params={"limit": 40}).json()["candidates"]
    taken = {t["activity"] for t in anna.get(f"{api}/tas").json()}
    code = next(c["activity"] for c in cands if c["activity"] not in taken)
    marker = f'data-id="{code}"'
    before = anna.get(f"{page}/discovery", params={"n": 40}).text
    row = before[before.index(marker) - 60:before.index(marker)]
    assert "selected-row" not in row
    assert anna.post(f"{api}/tas", json={"activity": code}).status_code == 201
    after = anna.get(f"{page}/discovery", params={"n": 40}).text
    assert "selected-row" in after[after.index(marker) - 60:after.index(marker)]
