"""The workshop modes end to end through the pages: a facilitator opens an EDW, two
stakeholders score and comment, the live aggregate sits beside the data score with the
disagreement highlighted, a TA is selected from the workshop with its evidence, the workshop
closes with its minutes stored and exported; then an ADW on a TA's actions."""

from __future__ import annotations

import io

import openpyxl
import pytest
from pages_support import PageClient, text_of
from web_support import DEMO

from smartspec.store import db
from smartspec.store import services as svc
from smartspec.store import web_services as wsvc

BASE = f"/w/{DEMO}"


@pytest.fixture
def people(web_app):
    clients = {name: PageClient(web_app, name) for name in ("anna", "sam", "stella", "vic")}
    yield clients
    for c in clients.values():
        c.close()


def _open(anna: PageClient, **fields: str) -> str:
    r = anna.post(f"{BASE}/workshops", fields)
    assert r.status_code == 303, text_of(r.text)[:500]
    assert r.headers["location"].endswith("?ok=workshop_opened")
    return r.headers["location"].split("?")[0]


def test_edw_with_two_stakeholders(people, web_url):
    anna, sam, stella, vic = (people[n] for n in ("anna", "sam", "stella", "vic"))
    url = _open(anna, kind="edw", title="EDW Advanced manufacturing", items="C28, C27, C33")
    workshop_id = int(url.rsplit("/", 1)[1])
    page = sam.get(url)
    assert page.status_code == 200 and "Your scores" in page.text
    assert vic.get(url).status_code == 200 and "Your scores" not in vic.get(url).text
    # two stakeholders score; they disagree strongly on C33 and both rate C27 low
    r = sam.post(f"{url}/scores", {"capacity_C28": "5", "opportunity_C28": "5",
                                   "comment_C28": "World-class machinery base",
                                   "capacity_C27": "1", "opportunity_C27": "1",
                                   "capacity_C33": "5", "opportunity_C33": "5"})
    assert r.status_code == 303
    r = stella.post(f"{url}/scores", {"capacity_C28": "4", "opportunity_C28": "5",
                                      "capacity_C27": "1", "opportunity_C27": "2",
                                      "comment_C27": "Few firms left",
                                      "capacity_C33": "1", "opportunity_C33": "1"})
    assert r.status_code == 303
    bad = stella.post(f"{url}/scores", {"capacity_C28": "7", "opportunity_C28": "1"})
    assert bad.status_code == 422 and "1 to 5" in text_of(bad.text)
    # a stakeholder's own scores come back in the form
    again = sam.get(url).text
    assert 'name="capacity_C28" value="5" checked' in again
    # the live aggregate (the fragment the page polls) beside the data-driven score
    fragment = vic.get(f"{url}/aggregate")
    assert fragment.status_code == 200 and fragment.headers["x-workshop-status"] == "open"
    assert fragment.headers["cache-control"] == "no-store"
    text = text_of(fragment.text)
    assert "World-class machinery base" in text and "Few firms left" in text
    # the cached aggregate and score tables follow every change they show: a new comment,
    # and a participant's new display name (a site-wide table)
    assert sam.post(f"{url}/scores", {"capacity_C28": "5", "opportunity_C28": "5",
                                      "comment_C28": "Machinery and robotics"}
                    ).status_code == 303
    fresh = text_of(vic.get(f"{url}/aggregate").text)
    assert "Machinery and robotics" in fresh and "World-class machinery base" not in fresh
    with db.session_scope(web_url) as s:
        wsvc.update_user(s, wsvc.get_user(s, "stella"), display_name="Stella Wirth")
    assert "Stella Wirth:  Few firms left" in text_of(vic.get(f"{url}/aggregate").text)
    assert "Machinery and robotics" in text_of(vic.get(url).text)  # the scores table
    fragment = vic.get(f"{url}/aggregate")
    with db.session_scope(web_url) as s:
        rows = {r["item"]: r for r in wsvc.workshop_aggregate(
            s, DEMO, workshop_id, data_scores={"C27": 0.8, "C28": 0.79, "C33": 0.7})}
    assert rows["C28"]["n"] == 2 and rows["C28"]["capacity_mean"] == pytest.approx(4.5)
    assert rows["C27"]["disagreement"]  # stakeholders far below the data
    assert rows["C33"]["contested"]     # the two stakeholders far apart
    highlighted = [line for line in fragment.text.split("<tr") if 'class="disagree"' in line]
    assert any('data-id="C27"' in line for line in highlighted)
    assert any('data-id="C33"' in line for line in highlighted)
    assert not any('data-id="C28"' in line for line in highlighted)
    # the facilitator records a decision and selects a TA from the workshop
    assert sam.post(f"{url}/decisions", {"item": "C28", "decision": "x"}).status_code == 403
    assert anna.post(f"{url}/decisions", {"item": "C28", "decision": "Go for machinery"}
                     ).status_code == 303
    assert sam.post(f"{url}/select", {"item": "C28"}).status_code == 403
    assert anna.post(f"{url}/select", {"item": "C28"}).status_code == 303
    with db.session_scope(web_url) as s:
        snap = svc.get_ta(s, DEMO, "C28").evidence_snapshot
        assert snap["workshop"]["id"] == workshop_id
        assert snap["workshop"]["decisions"] == ["Go for machinery"]
        assert snap["workshop"]["aggregate"]["n"] == 2
        assert snap["candidate"]["activity"] == "C28"
    # closing stores the minutes; scores are refused afterwards
    assert sam.post(f"{url}/close").status_code == 403
    assert anna.post(f"{url}/close").status_code == 303
    late = sam.post(f"{url}/scores", {"capacity_C28": "1", "opportunity_C28": "1"})
    assert late.status_code == 409 and "closed" in text_of(late.text)
    with db.session_scope(web_url) as s:
        w = wsvc.get_workshop(s, DEMO, workshop_id)
        assert w.status == "closed" and len(w.minutes["scores"]) == 6
    closed = vic.get(url).text
    assert "This workshop is closed" in closed and "data-poll" not in closed
    csv = vic.get(f"{url}/minutes.csv")
    assert csv.status_code == 200 and "Machinery and robotics" in csv.text
    assert "Go for machinery" in csv.text
    book = openpyxl.load_workbook(io.BytesIO(vic.get(f"{url}/minutes.xlsx").content))
    assert book.sheetnames == ["workshop", "aggregate", "scores", "decisions"]
    assert book["scores"].max_row == 7  # header + 6 scores


def test_adw_scores_actions(people, web_url):
    anna, sam = people["anna"], people["sam"]
    with db.session_scope(web_url) as s:
        ta = svc.list_tas(s, DEMO, status="selected")[0].activity
        action = svc.list_actions(s, DEMO, ta=ta)[0]
        action_id, title = action.id, action.title
    url = _open(anna, kind="adw", title="ADW actions", ta=ta)
    page = sam.get(url).text
    assert title in text_of(page)
    r = sam.post(f"{url}/scores", {f"capacity_{action_id}": "3",
                                   f"opportunity_{action_id}": "4",
                                   f"comment_{action_id}": "Needs a lead firm"})
    assert r.status_code == 303
    fragment = text_of(sam.get(f"{url}/aggregate").text)
    assert "Needs a lead firm" in fragment
    assert title in text_of(sam.get(url).text)
    # an action renamed meanwhile shows under its new title (the table is cached)
    with db.session_scope(web_url) as s:
        svc.update_action(s, DEMO, action_id, title="Pilot line for lightweight parts")
    assert "Pilot line for lightweight parts" in text_of(sam.get(f"{url}/aggregate").text)
    assert "Select as TA" not in fragment  # only an EDW selects TAs
    # a second workshop of the same kind cannot be open at the same time
    dup = anna.post(f"{BASE}/workshops", {"kind": "adw", "title": "again", "ta": ta})
    assert dup.status_code == 409
    assert anna.post(f"{url}/close").status_code == 303
