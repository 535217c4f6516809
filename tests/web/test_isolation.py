"""Isolation: no user sees or changes another workspace's data through any API route.

For EVERY workspace route of ``/openapi.json``:

* a member of another workspace asking for this workspace (with this workspace's real ids)
  gets 404, exactly as for a workspace that does not exist;
* a member asking in their own workspace for another workspace's object ids (id guessing)
  gets 404, exactly as for an id that does not exist;
* ids of another workspace in query strings and bodies (TA, owner, participants, costs, ADW
  items) are refused the same way;

and nothing of either workspace changes.
"""

from __future__ import annotations

import re

import pytest
from _api_routes import reference_calls, spec, workspace_ids
from sqlalchemy import func, select
from web_support import DEMO, RIVAL, sign_in

from smartspec.store import db
from smartspec.store.models import AuditLog, Workspace


def _workspace_routes(app) -> set[tuple[str, str]]:
    out = set()
    for path, item in app.openapi()["paths"].items():
        if path.startswith("/api/v1/workspaces/{slug}"):
            out.update((method.upper(), path) for method in item)
    return out


def _audit_counts(url: str) -> dict[str, int]:
    with db.session_scope(url) as s:
        return {slug: s.scalar(select(func.count()).select_from(AuditLog).join(
            Workspace, Workspace.id == AuditLog.workspace_id).where(Workspace.slug == slug))
            for slug in (DEMO, RIVAL)}


@pytest.fixture
def ids(web_url):
    return {DEMO: workspace_ids(web_url, DEMO, member="vic"),
            RIVAL: workspace_ids(web_url, RIVAL, member="otto")}


def test_the_route_table_covers_every_workspace_route(web_app, ids):
    assert set(spec(ids[DEMO])) == _workspace_routes(web_app)


def test_every_route_refuses_non_members_and_guessed_ids(web_app, web_url, ids):
    otto = sign_in(web_app, "otto")  # owner of the rival workspace only
    olga = sign_in(web_app, "olga")  # owner of the demo workspace only
    before = _audit_counts(web_url)
    demo_calls = spec(ids[DEMO])
    foreign_calls = spec({**ids[RIVAL], "slug": DEMO})  # own slug, the rival's object ids
    rival_calls = spec(ids[RIVAL])
    checked = 0
    for route, (_, call) in sorted(demo_calls.items()):
        r = call.send(otto)
        assert r.status_code == 404, (route, r.status_code, r.text)
        assert r.json() == {"detail": "workspace not found"}, route
        unknown = spec({**ids[DEMO], "slug": "no-such-workspace"})[route][1].send(otto)
        assert unknown.status_code == 404 and unknown.json() == r.json(), route
        r = rival_calls[route][1].send(olga)
        assert r.status_code == 404 and r.json() == {"detail": "workspace not found"}, route
        checked += 1
        if re.search(r"\{(?!slug\})[a-z_]+\}", route[1]) and "{table}" not in route[1]:
            guessed = foreign_calls[route][1]
            r = guessed.send(olga)
            assert r.status_code == 404, (route, guessed.path, r.status_code, r.text)
            assert "rival" not in r.text and "another workspace" not in r.text, route
    assert checked == len(demo_calls) >= 60
    for call in reference_calls(ids[DEMO], ids[RIVAL]):
        r = call.send(olga)
        assert r.status_code == 404, (call.method, call.path, call.json, r.text)
    assert _audit_counts(web_url) == before  # nothing changed anywhere


def test_guessed_ids_answer_like_missing_ids(web_app, ids):
    """A foreign id and an id that exists nowhere are indistinguishable."""
    olga = sign_in(web_app, "olga")
    base = f"/api/v1/workspaces/{DEMO}"
    for kind, key in (("actors", "actor_id"), ("actions", "action_id"),
                      ("consortia", "consortium_id"), ("workshops", "workshop_id"),
                      ("tas", "ta_id")):
        foreign = olga.get(f"{base}/{kind}/{ids[RIVAL][key]}")
        missing = olga.get(f"{base}/{kind}/987654")
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json()["detail"].replace(str(ids[RIVAL][key]), "N") == \
            missing.json()["detail"].replace("987654", "N")


def test_invitation_tokens_cannot_be_guessed(client):
    assert client.get("/api/v1/invitations/" + "A" * 43).status_code == 404
    assert client.post("/api/v1/invitations/" + "A" * 43 + "/accept",
                       json={"username": "mallory", "password": "mallory-password"}
                       ).status_code == 404
