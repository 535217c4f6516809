"""Nothing user-supplied is rendered unescaped: names, titles, comments, decisions and notes
with markup come back as text on every page that shows them (tables, cards, charts' JSON),
and exports defuse spreadsheet formulas."""

from __future__ import annotations

import re

import pytest
from pages_support import PageClient
from web_support import DEMO

from smartspec.store import db
from smartspec.store import services as svc
from smartspec.store import web_services as wsvc

BASE = f"/w/{DEMO}"
SCRIPT = '<script>alert("xss")</script>'
IMG = '"><img src=x onerror=alert(1)>'


def _assert_safe(page: str, where: str) -> None:
    assert SCRIPT not in page, f"raw <script> payload on {where}"
    assert "<img src=x" not in page, f"raw <img> payload on {where}"
    # inside <script type="application/json"> the payload must be JSON-escaped
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page,
                            flags=re.S):
        assert "<" not in block, f"unescaped '<' inside a JSON script block on {where}"


@pytest.fixture
def seeded(web_url: str) -> dict[str, object]:
    """XSS payloads stored through the services, as a malicious member could."""
    with db.session_scope(web_url, user="mallory") as s:
        ta = svc.list_tas(s, DEMO, status="selected")[0]
        actor = svc.add_actor(s, DEMO, {"name": f"Evil {SCRIPT} GmbH", "actor_type": "firm",
                                        "region": "AT31", "activities": ["C25"],
                                        "size": 12})
        action = svc.add_action(s, DEMO, {"title": f"Action {IMG}",
                                          "action_type": "pilot_testbed",
                                          "description": SCRIPT, "notes": IMG,
                                          "start": "2026-01-01", "end": "2027-06-30",
                                          "deadline": "2027-06-30", "owner": None}, ta=ta)
        sam = wsvc.get_user(s, "sam")
        wsvc.update_user(s, sam, display_name=f"Sam {IMG}")
        workshop = wsvc.open_workshop(s, DEMO, "edw", title=f"EDW {SCRIPT}",
                                      by=wsvc.get_user(s, "anna"), items=["C25", "C28"])
        wsvc.score_item(s, DEMO, workshop, sam, "C25", capacity=4, opportunity=2,
                        comment=f"{SCRIPT} {IMG}")
        wsvc.record_decision(s, DEMO, workshop, "C25", f"Decide {SCRIPT}")
        wsvc.score_item(s, DEMO, workshop, wsvc.get_user(s, "stella"), "C28", capacity=3,
                        opportunity=3, comment='=HYPERLINK("http://evil.example","click")')
        s.flush()
        return {"ta": ta.activity, "action": action.id, "workshop": workshop.id,
                "actor": actor.id}


def test_payloads_are_escaped_on_every_page(web_app, seeded):
    anna = PageClient(web_app, "anna")
    sam = PageClient(web_app, "sam")
    paths = [BASE, f"{BASE}/strategy?ta={seeded['ta']}", f"{BASE}/implementation",
             f"{BASE}/actions/{seeded['action']}", f"{BASE}/workshops",
             f"{BASE}/workshops/{seeded['workshop']}",
             f"{BASE}/workshops/{seeded['workshop']}/aggregate", f"{BASE}/evidence",
             f"{BASE}/monitoring?ta={seeded['ta']}"]
    seen_escaped = 0
    for client in (anna, sam):
        for path in paths:
            r = client.get(path)
            assert r.status_code == 200, path
            _assert_safe(r.text, path)
            seen_escaped += "&lt;script&gt;" in r.text
    assert seen_escaped >= 8  # the payloads are shown, as text
    workshop = sam.get(f"{BASE}/workshops/{seeded['workshop']}").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in workshop  # the comment, escaped
    assert "Decide &lt;script&gt;" in workshop
    anna.close()
    sam.close()


def test_forms_echo_input_escaped(web_app):
    anna = PageClient(web_app, "anna")
    r = anna.post(f"{BASE}/actors", {"name": SCRIPT, "actor_type": "not-a-type",
                                     "region": "AT31"})
    assert r.status_code == 422
    _assert_safe(r.text, "refused actor form")
    r = anna.post(f"{BASE}/workshops", {"kind": "edw", "title": SCRIPT, "items": IMG})
    assert r.status_code == 422
    _assert_safe(r.text, "refused workshop form")
    r = anna.get(f"{BASE}/discovery", params={"w_value": SCRIPT})
    assert r.status_code == 200
    _assert_safe(r.text, "discovery with a bad weight")
    r = anna.get(f"{BASE}/ta/{SCRIPT}")
    assert r.status_code == 404
    _assert_safe(r.text, "unknown TA")
    r = anna.get("/login", params={"next": "javascript:alert(1)"})
    assert 'value="/"' in r.text  # an unsafe "next" is replaced by the home page
    anna.close()


def test_exports_defuse_formulas(web_app, seeded):
    olga = PageClient(web_app, "olga")
    csv = olga.get(f"{BASE}/export/actors.csv").text
    assert "Evil <script>" in csv  # data stays data in a CSV file
    scores = olga.get(f"{BASE}/export/workshop-scores.csv",
                      params={"workshop": seeded["workshop"]}).text
    assert "'=HYPERLINK" in scores and ",=HYPERLINK" not in scores
    minutes = olga.get(f"{BASE}/workshops/{seeded['workshop']}/minutes.csv").text
    assert "'=HYPERLINK" in minutes
    from smartspec.web.pages.common import Column, PageTable, export_response
    from smartspec.web.templating import labels_for

    table = PageTable(key="t", title="t", columns=[Column("x", "x")],
                      rows=[{"x": "=1+1"}, {"x": "@SUM(A1)"}, {"x": "plain"}])
    body = export_response(table, "csv", labels=labels_for("en"), filename="t").body.decode()
    assert "'=1+1" in body and "'@SUM(A1)" in body and "\r\nplain" in body
    olga.close()
