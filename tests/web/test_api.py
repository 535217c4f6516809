"""The JSON API, on SQLite and on a real PostgreSQL server (``api_backend``).

On PostgreSQL the seeded store is shared by the tests of the session: each test creates what
it changes (unique names) and reads what it needs from the API.
"""

from __future__ import annotations

import io
import uuid

import pytest
from web_support import DEMO, make_app, message, sign_in

from smartspec.web.security import DOCUMENT_CSP, PAGE_CSP

W = f"/api/v1/workspaces/{DEMO}"


@pytest.fixture
def api(api_backend):
    """``api(user)``: a signed-in client of an app on the backend under test."""
    _, url = api_backend
    app = make_app(url)
    return lambda user: sign_in(app, user)


def _free_activity(c) -> str:
    taken = {t["activity"] for t in c.get(f"{W}/tas").json()}
    cands = c.get(f"{W}/candidates").json()["candidates"]
    return next(x["activity"] for x in cands if x["activity"] not in taken)


def test_workspace_detail(api):
    c = api("vic")
    r = c.get(W)
    assert r.status_code == 200
    body = r.json()
    assert body["role"] == "viewer" and body["home_region"] == "AT31"
    assert body["counts"]["tas"] >= 2 and body["counts"]["actors"] >= 30
    assert {"AT31"} <= {x["code"] for x in body["regions"]}
    members = {m["username"]: m["role"] for m in c.get(f"{W}/members").json()}
    assert members["olga"] == "owner" and members["vic"] == "viewer" and "otto" not in members
    regions = c.get("/api/v1/regions", params={"q": "tirol"}).json()
    assert [x["code"] for x in regions] == ["AT33"]


def test_evidence_and_candidates_follow_the_weights(api):
    c = api("vic")
    ev = c.get(f"{W}/evidence").json()
    assert ev["region"] == "AT31" and ev["year"] == 2015 and ev["n_regions"] > 200
    assert ev["specialisations"][0]["rca"] > 1 and ev["eci_rank"] >= 1
    base = c.get(f"{W}/candidates").json()
    assert base["weights"]["feasibility"] > 0 and len(base["candidates"]) > 20
    ranks = [x["rank"] for x in base["candidates"]]
    assert ranks == sorted(ranks)
    only_value = c.get(f"{W}/candidates", params={
        "feasibility": 0, "value": 1, "advantage": 0, "momentum": 0,
        "transformative_potential": 0, "capability_gap": 0}).json()
    order = [x["activity"] for x in only_value["candidates"]]
    assert order != [x["activity"] for x in base["candidates"]]
    values = [x["value"] for x in only_value["candidates"] if x["value"] is not None]
    assert values[:5] == sorted(values, reverse=True)[:5]  # ranked by value alone
    limited = c.get(f"{W}/candidates", params={"limit": 3}).json()["candidates"]
    assert [x["activity"] for x in limited] == [x["activity"] for x in base["candidates"][:3]]
    zero = {k: 0 for k in ("feasibility", "value", "advantage", "momentum",
                           "transformative_potential", "capability_gap")}
    bad = c.get(f"{W}/candidates", params=zero)
    assert bad.status_code == 422 and "positive" in message(bad)
    assert c.get(f"{W}/candidates", params={"value": -1}).status_code == 422
    assert c.get(f"{W}/candidates", params={"value": "nan"}).status_code == 422


def test_select_and_deselect_a_ta_with_its_evidence(api):
    anna = api("anna")
    code = _free_activity(anna)
    r = anna.post(f"{W}/tas", json={"activity": code, "weights": {"value": 0.5}})
    assert r.status_code == 201, r.text
    ta = r.json()
    snap = ta["evidence_snapshot"]
    assert ta["activity"] == code and ta["status"] == "selected"
    assert snap["candidate"]["activity"] == code and "critical_mass" in snap
    assert snap["discovery"]["weights"]["value"] == 0.5 and snap["data_version"]
    assert anna.post(f"{W}/tas", json={"activity": code}).status_code == 409
    assert anna.post(f"{W}/tas", json={"activity": "Z99"}).status_code == 422
    dropped = anna.patch(f"{W}/tas/{ta['id']}", json={"status": "dropped"})
    assert dropped.json()["status"] == "dropped"
    again = anna.post(f"{W}/tas", json={"activity": code})  # re-selected with fresh evidence
    assert again.status_code == 201 and again.json()["id"] == ta["id"]
    drafted = anna.post(f"{W}/tas/{ta['id']}/strategy", json={})
    assert drafted.status_code == 200 and len(drafted.json()) >= 3
    assert all(a["ta"] == code and a["status"] == "planned" for a in drafted.json())
    mass = anna.get(f"{W}/tas/{ta['id']}/critical-mass").json()
    assert mass["ta"] == code and mass["threshold"] > 0 and mass["maturity"] in (
        "emerging", "developing", "mature")
    matches = anna.get(f"{W}/tas/{ta['id']}/matches").json()
    assert matches and matches[0]["score"] >= matches[-1]["score"]
    html = anna.get(f"{W}/tas/{ta['id']}/strategy.html")
    assert html.status_code == 200 and code in html.text
    # a self-contained document: its inline Plotly may run, but it may fetch nothing
    assert html.headers["content-security-policy"] == DOCUMENT_CSP


def test_actors_are_validated(api):
    anna = api("anna")
    name = f"Werkzeugbau {uuid.uuid4().hex[:6]} GmbH"
    r = anna.post(f"{W}/actors", json={"name": name, "actor_type": "firm", "region": "AT31",
                                       "activities": ["C28"], "size": 120,
                                       "contact_role": "innovation manager"})
    assert r.status_code == 201 and r.json()["helix"] == "industry"
    actor = r.json()["id"]
    dup = anna.post(f"{W}/actors", json={"name": name, "actor_type": "firm", "region": "AT31"})
    assert dup.status_code == 422
    personal = anna.post(f"{W}/actors", json={"name": name + " 2", "actor_type": "firm",
                                              "region": "AT31",
                                              "contact_role": "jane.doe@example.com"})
    assert personal.status_code == 422 and "contact" in message(personal).lower()
    assert anna.post(f"{W}/actors", json={"name": "X", "actor_type": "alien",
                                          "region": "AT31"}).status_code == 422
    assert anna.patch(f"{W}/actors/{actor}", json={"size": 200}).json()["size"] == 200
    assert anna.delete(f"{W}/actors/{actor}").status_code == 204
    assert anna.get(f"{W}/actors/{actor}").status_code == 404


def test_actions_move_on_the_board_by_the_workflow(api):
    anna = api("anna")
    actors = anna.get(f"{W}/actors").json()
    ta = anna.get(f"{W}/tas").json()[0]
    r = anna.post(f"{W}/actions", json={
        "title": f"Pilot line {uuid.uuid4().hex[:6]}", "action_type": "pilot_testbed",
        "ta_id": ta["id"], "owner_id": actors[0]["id"],
        "participants": [actors[1]["id"], actors[2]["id"]], "start": "2025-01-01",
        "end": "2025-12-31", "budget": 100000, "milestones": [{"title": "kick-off",
                                                                "due": "2025-02-01"}]})
    assert r.status_code == 201, r.text
    action = r.json()
    assert action["status"] == "planned" and action["ta"] == ta["activity"]
    assert set(action["allowed_statuses"]) == {"in_progress", "cancelled", "on_hold"}
    moved = anna.patch(f"{W}/actions/{action['id']}", json={"status": "in_progress"})
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    done = anna.patch(f"{W}/actions/{action['id']}", json={"status": "done"}).json()
    assert done["status"] == "done" and done["allowed_statuses"] == []
    back = anna.patch(f"{W}/actions/{action['id']}", json={"status": "planned"})
    assert back.status_code == 422 and "done" in message(back)
    bad = anna.patch(f"{W}/actions/{action['id']}", json={"start": "2026-06-01"})
    assert bad.status_code == 422  # start after end
    assert anna.patch(f"{W}/actions/{action['id']}", json={"spent": -5}).status_code == 422
    funding = anna.get(f"{W}/actions/{action['id']}/funding").json()
    assert funding and all(f["reasons"] for f in funding)
    practices = anna.get(f"{W}/actions/{action['id']}/good-practices").json()
    assert practices and practices[0]["reasons"][0].startswith("a practice for")
    progress = anna.get(f"{W}/actions/progress", params={"ta_id": ta["id"]}).json()
    assert progress["by_status"]["done"] >= 1
    assert anna.delete(f"{W}/actions/{action['id']}").status_code == 204


def test_consortium_builder_answers_or_explains(api):
    anna = api("anna")
    ta = anna.get(f"{W}/tas").json()[0]
    before = len(anna.get(f"{W}/consortia").json())
    dry = anna.post(f"{W}/consortia/build", json={"ta_id": ta["id"], "save": False})
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["feasible"] and 0 < body["coverage"] <= 1 and body["consortium"] is None
    assert 3 <= len(body["members"]) <= 6
    assert {"industry", "academia", "government"} <= set(body["by_helix"])
    assert len(anna.get(f"{W}/consortia").json()) == before  # nothing stored
    saved = anna.post(f"{W}/consortia/build", json={"ta_id": ta["id"], "size_min": 2,
                                                    "size_max": 4, "name": "Core team"})
    stored = saved.json()["consortium"]
    assert stored["name"] == "Core team" and len(stored["members"]) <= 4
    assert anna.get(f"{W}/consortia/{stored['id']}").json()["id"] == stored["id"]
    none = anna.post(f"{W}/consortia/build", json={"ta_id": ta["id"], "size_min": 1,
                                                   "size_max": 1, "save": False})
    assert none.json()["feasible"] is False and none.json()["reasons"]
    assert any(c.startswith(("size", "helix")) for c in none.json()["constraints"])
    assert anna.post(f"{W}/consortia/build", json={"ta_id": ta["id"], "size_min": 5,
                                                   "size_max": 2}).status_code == 422
    assert anna.delete(f"{W}/consortia/{stored['id']}").status_code == 204


def test_funding_and_good_practices(api):
    anna = api("anna")
    key = f"land-ooe-{uuid.uuid4().hex[:6]}"
    r = anna.post(f"{W}/funding", json={"key": key, "name": "Innovation voucher OÖ",
                                        "scope": "regional", "geographic_scope": ["AT31"],
                                        "action_types": ["funding_search"],
                                        "eligible_actor_types": ["firm"]})
    assert r.status_code == 201, r.text
    inst = r.json()
    assert inst["user_defined"] and inst["cofunding_rate"] is None
    set_rate = anna.patch(f"{W}/funding/{inst['id']}", json={"cofunding_rate": 0.5})
    assert set_rate.json()["cofunding_rate"] == 0.5
    assert anna.patch(f"{W}/funding/{inst['id']}", json={"cofunding_rate": 2}
                      ).status_code == 422
    assert any(f["key"] == key for f in anna.get(f"{W}/funding").json())
    found = anna.get(f"{W}/good-practices", params={"q": "voucher"}).json()
    assert found and "voucher" in (found[0]["title"] + " ".join(found[0]["tags"])).lower()
    filtered = anna.get(f"{W}/good-practices", params={"action_type": "skills_training"}).json()
    assert filtered and all("skills_training" in p["action_types"] for p in filtered)
    assert anna.get(f"{W}/good-practices", params={"maturity": "ancient"}).status_code == 422
    assert anna.delete(f"{W}/funding/{inst['id']}").status_code == 204


def test_edw_with_two_stakeholders(api):
    anna, sam, stella, vic = (api(u) for u in ("anna", "sam", "stella", "vic"))
    for w in anna.get(f"{W}/workshops", params={"status": "open", "kind": "edw"}).json():
        anna.post(f"{W}/workshops/{w['id']}/close")  # (PostgreSQL: a leftover of a rerun)
    opened = anna.post(f"{W}/workshops", json={"kind": "edw", "title": "EDW spring",
                                               "n_items": 4})
    assert opened.status_code == 201, opened.text
    ws = opened.json()
    assert len(ws["items"]) == 4 and all(ws["item_labels"][i] for i in ws["items"])
    again = anna.post(f"{W}/workshops", json={"kind": "edw", "title": "second"})
    assert again.status_code == 409
    base = f"{W}/workshops/{ws['id']}"
    first, second = ws["items"][:2]
    # both stakeholders agree on the first (low), disagree on the second
    assert sam.post(f"{base}/scores", json={"item": first, "capacity": 1, "opportunity": 1,
                                            "comment": "<script>alert(1)</script>"}
                    ).status_code == 200
    stella.post(f"{base}/scores", json={"item": first, "capacity": 1, "opportunity": 2})
    sam.post(f"{base}/scores", json={"item": second, "capacity": 5, "opportunity": 5})
    stella.post(f"{base}/scores", json={"item": second, "capacity": 1, "opportunity": 2})
    sam.post(f"{base}/scores", json={"item": second, "capacity": 4, "opportunity": 5})  # redo
    assert sam.post(f"{base}/scores", json={"item": "Z99", "capacity": 1, "opportunity": 1}
                    ).status_code == 422
    assert sam.post(f"{base}/scores", json={"item": first, "capacity": 6, "opportunity": 1}
                    ).status_code == 422
    agg = vic.get(f"{base}/aggregate").json()
    assert agg["participants"] == 2
    rows = {x["item"]: x for x in agg["items"]}
    a, b = rows[first], rows[second]
    assert a["n"] == 2 and a["capacity_mean"] == 1 and a["opportunity_mean"] == 1.5
    assert a["stakeholder_score"] == pytest.approx(((1 + 1) / 2 - 1) / 4 / 2 +
                                                   ((1 + 2) / 2 - 1) / 4 / 2)
    assert a["data_score"] > 0.5 and a["disagreement"] is True  # data says yes, people say no
    assert a["contested"] is False and b["contested"] is True
    assert a["comments"][0]["comment"] == "<script>alert(1)</script>"  # JSON, not HTML
    assert rows[ws["items"][2]]["n"] == 0 and rows[ws["items"][2]]["stakeholder_score"] is None
    mine = sam.get(f"{base}/scores", params={"mine": True}).json()
    assert {(s["item"], s["capacity"]) for s in mine} == {(first, 1), (second, 4)}
    assert anna.post(f"{base}/decisions", json={"item": second, "decision": "discuss in ADW"}
                     ).status_code == 201
    closed = anna.post(f"{base}/close").json()
    assert closed["status"] == "closed" and closed["closed_at"]
    minutes = vic.get(f"{base}/minutes").json()
    assert minutes["workshop"]["status"] == "closed"
    assert {p["username"] for p in minutes["participants"]} == {"sam", "stella"}
    assert minutes["decisions"][0]["by"] == "anna" and len(minutes["scores"]) == 4
    csv = vic.get(f"{base}/minutes", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "discuss in ADW" in csv.text and "stella" in csv.text
    xlsx = vic.get(f"{base}/minutes", params={"format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    tas = {t["activity"]: t["status"] for t in anna.get(f"{W}/tas").json()}
    taken = [i for i in ws["items"] if tas.get(i) == "selected"]
    free = [i for i in ws["items"] if tas.get(i) != "selected"]
    if taken:
        assert anna.post(f"{base}/select-ta", json={"item": taken[0]}).status_code == 409
    selected = anna.post(f"{base}/select-ta", json={"item": free[0]})
    assert selected.status_code == 201, selected.text
    snap = selected.json()["evidence_snapshot"]
    assert snap["workshop"]["id"] == ws["id"] and snap["candidate"]["activity"] == free[0]
    assert snap["workshop"]["aggregate"]["item"] == free[0] and "critical_mass" in snap


def test_adw_scores_actions(api):
    anna, sam = api("anna"), api("sam")
    for w in anna.get(f"{W}/workshops", params={"status": "open", "kind": "adw"}).json():
        anna.post(f"{W}/workshops/{w['id']}/close")
    ta = anna.get(f"{W}/tas").json()[0]
    r = anna.post(f"{W}/workshops", json={"kind": "adw", "title": "ADW", "ta_id": ta["id"]})
    assert r.status_code == 201, r.text
    ws = r.json()
    actions = {str(a["id"]): a["title"] for a in
               anna.get(f"{W}/actions", params={"ta_id": ta["id"]}).json()
               if a["status"] != "cancelled"}
    assert set(ws["items"]) == set(actions) and ws["item_labels"] == {
        k: actions[k] for k in ws["items"]}
    assert sam.post(f"{W}/workshops/{ws['id']}/scores",
                    json={"item": ws["items"][0], "capacity": 4, "opportunity": 4}
                    ).status_code == 200
    agg = sam.get(f"{W}/workshops/{ws['id']}/aggregate").json()["items"][0]
    assert agg["data_score"] is None and agg["stakeholder_score"] == 0.75
    assert anna.post(f"{W}/workshops/{ws['id']}/select-ta", json={"item": ws["items"][0]}
                     ).status_code == 422  # only an EDW selects TAs
    anna.post(f"{W}/workshops/{ws['id']}/close")


def test_monitoring_indicators_observations_and_check(api):
    anna = api("anna")
    ta = anna.get(f"{W}/tas").json()[0]
    base = f"{W}/tas/{ta['id']}"
    indicators = {i["key"]: i for i in anna.get(f"{base}/indicators").json()}
    assert {"context", "output", "result"} <= {i["kind"] for i in indicators.values()}
    with_target = [i for i in indicators.values() if i["target_path"]]
    assert with_target
    path = with_target[0]["target_path"]
    assert path[0]["year"] == with_target[0]["baseline_year"]
    assert path[0]["expected"] == pytest.approx(with_target[0]["baseline_value"])
    assert path[-1]["expected"] == pytest.approx(with_target[0]["target_value"])
    key = f"new_firms_{uuid.uuid4().hex[:6]}"
    r = anna.post(f"{base}/indicators", json={
        "key": key, "kind": "result", "name": "New firms in the TA", "unit": "count",
        "baseline_value": 10, "baseline_year": 2020, "target_value": 20, "target_year": 2025})
    assert r.status_code == 201, r.text
    assert [p["expected"] for p in r.json()["target_path"]] == [10, 12, 14, 16, 18, 20]
    ok = anna.post(f"{base}/observations", json={"indicator": key, "year": 2022, "value": 13})
    assert ok.status_code == 201 and ok.json()["origin"] == "form"
    unknown = anna.post(f"{base}/observations", json={"indicator": "nope", "year": 2022,
                                                      "value": 1})
    assert unknown.status_code == 422
    unit = anna.post(f"{base}/observations", json={"indicator": key, "year": 2023, "value": 1,
                                                   "unit": "EUR"})
    assert unit.status_code == 422 and "unit" in message(unit)
    context = next(k for k, i in indicators.items() if i["kind"] == "context")
    assert anna.post(f"{base}/observations", json={"indicator": context, "year": 2022,
                                                   "value": 1}).status_code == 422
    csv = f"indicator,year,value\n{key},2023,15\n{key},2024,17\n".encode()
    imported = anna.post(f"{W}/observations/import", params={"ta_id": ta["id"]},
                         files={"file": ("obs.csv", csv)})
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 2
    bad = anna.post(f"{W}/observations/import", params={"ta_id": ta["id"]},
                    files={"file": ("obs.csv", f"indicator,year,value\n{key},2023,abc\n"
                                    .encode())})
    assert bad.status_code == 422 and "abc" in message(bad)
    mine = [o for o in anna.get(f"{W}/observations", params={"ta_id": ta["id"]}).json()
            if o["indicator"] == key]
    assert [(o["year"], o["value"]) for o in mine] == [(2022, 13), (2023, 15), (2024, 17)]
    check = anna.get(f"{base}/check", params={"discovery": False}).json()
    assert check["status"] in ("green", "amber", "red") and check["reasons"]
    assert all(r["message"] for r in check["reasons"])
    everything = anna.get(f"{W}/check", params={"discovery": False}).json()
    assert ta["activity"] in {c["ta"] for c in everything}


def test_self_assessment(api):
    anna = api("anna")
    framework = anna.get("/api/v1/self-assessment/framework").json()
    assert len(framework) == 6
    factors = [f["key"] for step in framework for f in step["factors"]]
    label = uuid.uuid4().hex[:8]
    scores = [{"participant": p, "factor": f, "score": s}
              for p, s in (("P1", 3), ("P2", 5)) for f in factors[:4]]
    r = anna.post(f"{W}/self-assessments", json={"assessed_on": "2024-03-01", "label": label,
                                                 "scores": scores})
    assert r.status_code == 201, r.text
    assert r.json()["n_participants"] == 2 and r.json()["steps"][0]["mean"] == 4
    dup = anna.post(f"{W}/self-assessments", json={"assessed_on": "2024-03-01",
                                                   "label": label, "scores": scores})
    assert dup.status_code == 409
    bad = anna.post(f"{W}/self-assessments", json={
        "assessed_on": "2024-03-02", "scores": [{"participant": "P1", "factor": "nope",
                                                 "score": 3}]})
    assert bad.status_code == 422
    assert any(a["label"] == label for a in anna.get(f"{W}/self-assessments").json())


def test_exports(api):
    vic = api("vic")
    for table in ("candidates", "tas", "actors", "actions", "consortia", "funding",
                  "good-practices", "monitoring", "members"):
        r = vic.get(f"{W}/tables/{table}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), table
        assert r.content.startswith("\ufeff".encode()) and len(r.text.splitlines()) > 1, table
        x = vic.get(f"{W}/tables/{table}", params={"format": "xlsx"})
        assert x.status_code == 200 and x.content[:2] == b"PK", table
    assert vic.get(f"{W}/tables/audit").status_code == 403  # the audit log: analysts
    doc = vic.get(f"{W}/export").json()
    assert doc["workspace"]["slug"] == DEMO and doc["actors"]


def test_spreadsheet_formulas_are_defused(web_app):
    import pandas as pd

    anna = sign_in(web_app, "anna")
    anna.post(f"{W}/funding", json={"key": "formula", "name": "=HYPERLINK(\"x\")",
                                    "scope": "regional"})
    r = anna.get(f"{W}/tables/funding", params={"format": "xlsx"})
    frame = pd.read_excel(io.BytesIO(r.content))
    assert "'=HYPERLINK(\"x\")" in frame["name"].tolist()


def test_actor_upload_and_size_limit(web_url, monkeypatch):
    app = make_app(web_url)
    anna = sign_in(app, "anna")
    good = (b"name,actor_type,region,activities\nUpload Test GmbH,firm,AT31,C28\n"
            b"Upload Uni,university,AT31,P85\n")
    r = anna.post(f"{W}/actors/import", files={"file": ("actors.csv", good)})
    assert r.status_code == 201 and r.json()["imported"] == 2
    bad = anna.post(f"{W}/actors/import", files={"file": (
        "broken.csv", b"name,actor_type,region\nNo Type Ltd,,AT31\nOk AG,firm,AT31\n")})
    assert bad.status_code == 422
    assert "broken.csv" in message(bad) and "row" in message(bad)
    assert "smartspec-upload" not in message(bad)  # no server paths
    assert anna.post(f"{W}/actors/import", files={"file": ("x.exe", b"MZ")}).status_code == 422
    monkeypatch.setenv("SMARTSPEC_MAX_UPLOAD_MB", "0.01")  # 10 KiB
    small = make_app(web_url)
    anna = sign_in(small, "anna")
    big = b"name,actor_type,region\n" + b"".join(
        f"Firm {i} GmbH,firm,AT31\n".encode() for i in range(2000))
    r = anna.post(f"{W}/actors/import", files={"file": ("big.csv", big)})
    assert r.status_code == 413
    names = {a["name"] for a in anna.get(f"{W}/actors").json()}
    assert "Firm 1 GmbH" not in names

    def chunks():  # streamed without Content-Length
        yield b'{"name": "'
        for _ in range(100):
            yield b"x" * 200
        yield b'", "actor_type": "firm", "region": "AT31"}'

    r = anna.post(f"{W}/actors", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_schema_assets_and_headers(client):
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "smartspec"
    assert len([p for p in schema["paths"] if p.startswith("/api/v1/")]) >= 55
    cand = schema["paths"]["/api/v1/workspaces/{slug}/candidates"]["get"]
    ref = cand["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/CandidatesOut")
    js = client.get("/static/vendor/plotly.min.js")
    assert js.status_code == 200 and b"plotly" in js.content[:2000].lower()
    assert "cdn" not in client.get("/openapi.json").text.lower()
    r = client.get("/api/v1/workspaces")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert r.headers["content-security-policy"] == PAGE_CSP
    policy = dict(part.strip().split(" ", 1) for part in PAGE_CSP.split(";"))
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'" and policy["connect-src"] == "'self'"
    assert client.get("/docs").status_code == 404  # no Swagger UI (it would load a CDN)


def test_evidence_cache_per_workspace_and_data_version(web_app, web_url):
    from smartspec.store import db
    from smartspec.store import services as svc

    vic = sign_in(web_app, "vic")
    cache = web_app.state.cache
    vic.get(f"{W}/candidates")
    misses = cache.stats()["misses"]
    for _ in range(3):
        vic.get(f"{W}/candidates")
        vic.get(f"{W}/candidates", params={"value": 0.3})
    # one new set of weights: its candidates and their JSON, computed once each
    assert cache.stats()["misses"] == misses + 2
    assert cache.stats()["hits"] >= 5
    with db.session_scope(web_url) as s:
        svc.update_workspace(s, DEMO, data_version="new-data-2024")
    vic.get(f"{W}/candidates")
    assert cache.stats()["misses"] == misses + 4  # a new data version computes afresh
