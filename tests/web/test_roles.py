"""Roles per workspace, for every workspace route of the API: each role below the route's least
role is refused (403), the least role is allowed; and the rights of the site administrator."""

from __future__ import annotations

from _api_routes import spec, workspace_ids
from web_support import DEMO, ROLE_USERS, sign_in

from smartspec.store.models_web import ROLES

_ORDER = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}


def test_each_role_is_refused_below_and_allowed_at_the_least_role(web_app, web_url):
    ids = workspace_ids(web_url, DEMO, member="vic")
    clients = {role: sign_in(web_app, user) for role, user in ROLE_USERS.items()}
    table = spec(ids)
    refused = 0
    for route, (least, call) in sorted(table.items()):
        for role in ROLES[:ROLES.index(least)]:
            r = call.send(clients[role])
            assert r.status_code == 403, (route, role, r.status_code, r.text)
            assert least in r.json()["detail"] and role in r.json()["detail"]
            refused += 1
    assert refused >= 60
    # the least role may (writes after reads, deletions last, the workspace itself at the end)
    order = sorted(table.items(), key=lambda kv: (kv[0][1] == "/api/v1/workspaces/{slug}"
                                                  and kv[0][0] == "DELETE",
                                                  _ORDER[kv[0][0]], kv[0][1]))
    for route, (least, call) in order:
        r = call.send(clients[least])
        assert r.status_code not in (401, 403, 404) and r.status_code < 500, \
            (route, least, r.status_code, r.text)


def test_stakeholders_score_but_do_not_run_workshops(web_app, web_url):
    ids = workspace_ids(web_url, DEMO, member="vic")
    base = f"/api/v1/workspaces/{DEMO}/workshops/{ids['workshop_id']}"
    sam, vic, anna = (sign_in(web_app, u) for u in ("sam", "vic", "anna"))
    score = {"item": ids["item"], "capacity": 5, "opportunity": 2, "comment": "strong base"}
    assert vic.post(f"{base}/scores", json=score).status_code == 403
    assert sam.post(f"{base}/scores", json=score).status_code == 200
    assert sam.post(f"{base}/close").status_code == 403
    assert sam.post(f"{base}/decisions", json={"item": ids["item"], "decision": "x"}
                    ).status_code == 403
    assert vic.get(f"{base}/aggregate").json()["items"][0]["n"] == 1  # viewers read
    assert anna.post(f"{base}/close").status_code == 200
    late = sam.post(f"{base}/scores", json=score)
    assert late.status_code == 409 and "closed" in late.json()["detail"]


def test_administrators_manage_accounts_not_workspaces(web_app):
    ada = sign_in(web_app, "ada")
    olga = sign_in(web_app, "olga")
    assert ada.get(f"/api/v1/workspaces/{DEMO}").status_code == 404  # no membership
    assert olga.get("/api/v1/users").status_code == 403  # owners are not administrators
    new = {"name": "Tirol S3", "region": "AT33", "slug": "tirol"}
    assert olga.post("/api/v1/workspaces", json=new).status_code == 403
    r = ada.post("/api/v1/workspaces", json=new)
    assert r.status_code == 201 and r.json()["role"] == "owner"
    assert r.json()["home_region"] == "AT33"
    assert olga.get("/api/v1/workspaces/tirol").status_code == 404
    assert ada.post("/api/v1/workspaces", json={**new, "slug": "x", "region": "XX99"}
                    ).status_code == 422
    # the last owner cannot be demoted or removed
    ada_id = ada.get("/api/v1/auth/me").json()["user"]["id"]
    assert ada.put(f"/api/v1/workspaces/tirol/members/{ada_id}", json={"role": "viewer"}
                   ).status_code == 409
    assert ada.delete(f"/api/v1/workspaces/tirol/members/{ada_id}").status_code == 409
