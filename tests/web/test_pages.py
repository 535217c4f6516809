"""The server-rendered pages: every page renders for the roles allowed and is refused to the
others, forms need the CSRF token, the discovery weights re-rank, TAs are selected with their
evidence, the strategy and implementation forms work, every table exports, the monitoring
report downloads."""

from __future__ import annotations

import io

import openpyxl
import pytest
from pages_support import PageClient, text_of
from web_support import DEMO, RIVAL

from smartspec.store import db
from smartspec.store import services as svc
from smartspec.web.security import DOCUMENT_CSP, PAGE_CSP

BASE = f"/w/{DEMO}"


def _facts(url: str) -> dict[str, object]:
    with db.session_scope(url) as s:
        tas = [t.activity for t in svc.list_tas(s, DEMO, status="selected")]
        actions = svc.list_actions(s, DEMO, ta=tas[0])
        return {"tas": tas, "action": actions[0].id,
                "planned": [a.id for a in actions if a.status == "planned"]}


@pytest.fixture
def facts(web_url: str) -> dict[str, object]:
    return _facts(web_url)


@pytest.fixture
def browser(web_app):
    clients: list[PageClient] = []

    def make(username: str | None = None) -> PageClient:
        c = PageClient(web_app, username)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def _pages(facts: dict[str, object]) -> list[str]:
    ta = facts["tas"][0]
    return [BASE, f"{BASE}/evidence", f"{BASE}/discovery", f"{BASE}/ta/{ta}",
            f"{BASE}/ta/C28", f"{BASE}/workshops", f"{BASE}/strategy",
            f"{BASE}/strategy?ta={ta}", f"{BASE}/actions/{facts['action']}",
            f"{BASE}/implementation", f"{BASE}/monitoring"]


def test_every_page_renders_for_a_viewer_and_is_hidden_from_others(browser, facts):
    vic, otto, anonymous = browser("vic"), browser("otto"), browser()
    for path in _pages(facts):
        page = vic.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert page.headers["content-type"].startswith("text/html")
        assert "<html lang=\"en\"" in page.text and "</html>" in page.text
        # the member of another workspace sees nothing, not even that it exists
        other = otto.get(path)
        assert other.status_code == 404, path
        assert "rival" not in other.text.lower() or RIVAL in path
        gone = anonymous.get(path, follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login?next=")
    # charts are drawn from local assets only
    page = vic.get(BASE).text
    assert "/static/vendor/plotly.min.js" in page and "cdn" not in page.lower()
    assert "© EuroGeographics" in text_of(page)


def test_pages_for_owners_and_administrators_only(browser):
    vic, olga, ada = browser("vic"), browser("olga"), browser("ada")
    assert vic.get(f"{BASE}/members").status_code == 403
    members = olga.get(f"{BASE}/members")
    assert members.status_code == 200 and "sam" in members.text
    assert olga.get("/admin/users").status_code == 403
    users = ada.get("/admin/users")
    assert users.status_code == 200 and "stella" in users.text
    refused = vic.get(f"{BASE}/members")
    assert "Not allowed" in refused.text  # a page, not JSON, for a browser


def test_forms_need_the_csrf_token(browser, facts):
    anna = browser("anna")
    target = f"{BASE}/ta/C28/select"
    missing = anna.post(target, csrf=False)
    assert missing.status_code == 403
    wrong = anna.post(target, {"csrf_token": "not-the-token"}, csrf=False)
    assert wrong.status_code == 403
    ok = anna.post(target)
    assert ok.status_code == 303
    # the login form carries a pre-session token too
    anonymous = browser()
    r = anonymous.http.post("/login", data={"username": "anna", "password": "x"},
                            headers={"Accept": "text/html"})
    assert r.status_code == 403


def test_roles_below_the_least_role_are_refused(browser, facts):
    vic, sam, anna = browser("vic"), browser("sam"), browser("anna")
    assert vic.post(f"{BASE}/ta/C28/select").status_code == 403
    assert sam.post(f"{BASE}/ta/C28/select").status_code == 403
    assert sam.post(f"{BASE}/actions/{facts['action']}/status",
                    {"status": "in_progress"}).status_code == 403
    assert sam.post(f"{BASE}/workshops", {"kind": "edw", "title": "x"}).status_code == 403
    assert anna.post(f"{BASE}/members/invite", {"role": "stakeholder"}).status_code == 403
    assert vic.post(f"{BASE}/monitoring/self-assessment", {"f_s1_assets": "3"}).status_code \
        == 403


def test_weights_re_rank_the_candidates(browser):
    vic = browser("vic")
    default = vic.get(f"{BASE}/discovery").text
    tilted = vic.get(f"{BASE}/discovery", params={
        "w_feasibility": "0", "w_value": "1", "w_advantage": "0", "w_momentum": "0",
        "w_transformative_potential": "0", "w_capability_gap": "0", "n": "5"})
    assert tilted.status_code == 200

    def first_row(page: str) -> str:
        body = page.split('id="candidates-table"', 1)[1]
        return body.split('data-id="', 1)[1].split('"', 1)[0]

    assert first_row(default) != first_row(tilted.text)
    # the live sliders ask the JSON API, with the page's parameter names
    api = vic.http.get(f"/api/v1/workspaces/{DEMO}/candidates",
                       params={"feasibility": 0, "value": 1, "advantage": 0, "momentum": 0,
                               "transformative_potential": 0, "capability_gap": 0,
                               "limit": 5})
    assert api.status_code == 200
    assert api.json()["candidates"][0]["activity"] == first_row(tilted.text)
    bad = vic.get(f"{BASE}/discovery", params={"w_value": "-3"})
    assert bad.status_code == 200 and "Weights ignored" in bad.text


def test_selecting_a_ta_stores_the_evidence_snapshot(browser, web_url):
    anna = browser("anna")
    r = anna.post(f"{BASE}/ta/C28/select", {"w_value": "0.6", "w_feasibility": "0.1"})
    assert r.status_code == 303 and r.headers["location"].endswith("/ta/C28?ok=ta_selected")
    page = anna.get(r.headers["location"])
    assert "evidence and its evidence" not in page.text
    assert "Evidence snapshot stored with the selection" in page.text
    with db.session_scope(web_url) as s:
        ta = svc.get_ta(s, DEMO, "C28")
        snap = ta.evidence_snapshot
        assert ta.status == "selected"
        assert snap["candidate"]["activity"] == "C28"
        assert snap["discovery"]["weights"]["value"] == pytest.approx(0.6)
        assert "critical_mass" in snap
    again = anna.post(f"{BASE}/ta/C28/select")
    assert again.status_code == 409
    dropped = anna.post(f"{BASE}/ta/C28/status", {"status": "dropped"})
    assert dropped.status_code == 303
    with db.session_scope(web_url) as s:
        assert svc.get_ta(s, DEMO, "C28").status == "dropped"


def test_strategy_draft_actions_and_consortium_builder(browser, web_url, facts):
    anna = browser("anna")
    ta = facts["tas"][0]
    page = anna.get(f"{BASE}/strategy?ta={ta}")
    assert "Actor matching" in page.text and "Funding matches" in page.text
    created = anna.post(f"{BASE}/actions", {"ta": ta, "title": "Hydrogen pilot line",
                                            "action_type": "pilot_testbed",
                                            "start": "2027-01-01", "end": "2027-12-31",
                                            "budget": "250000"})
    assert created.status_code == 303
    bad = anna.post(f"{BASE}/actions", {"ta": ta, "title": "Backwards",
                                        "action_type": "pilot_testbed",
                                        "start": "2027-12-01", "end": "2027-01-01"})
    assert bad.status_code == 422 and "is before start" in text_of(bad.text)
    with db.session_scope(web_url) as s:
        added = [a for a in svc.list_actions(s, DEMO, ta=ta) if a.title == "Hydrogen pilot line"]
        assert len(added) == 1 and added[0].budget == 250000
        action_id = added[0].id
    edit = anna.post(f"{BASE}/actions/{action_id}", {
        "title": "Hydrogen pilot line", "action_type": "pilot_testbed", "status": "in_progress",
        "start": "2027-01-01", "end": "2027-12-31", "budget": "300000", "committed": "1000",
        "milestones": "2027-06-30 Line commissioned"})
    assert edit.status_code == 303
    with db.session_scope(web_url) as s:
        a = svc.get_action(s, DEMO, action_id)
        assert a.status == "in_progress" and a.budget == 300000
        assert a.milestones == [{"title": "Line commissioned", "due": "2027-06-30"}]
    # the consortium builder: a feasible preview, then an infeasible request with its reason
    preview = anna.post(f"{BASE}/consortia", {"ta": ta, "size_min": "3", "size_max": "5",
                                              "max_external": "2", "helix": ["industry",
                                                                             "academia"],
                                              "preview": "1"})
    assert preview.status_code == 200 and "Consortium found" in preview.text
    assert "preview, not stored" in preview.text
    infeasible = anna.post(f"{BASE}/consortia", {"ta": ta, "size_min": "40",
                                                 "size_max": "45", "preview": "1",
                                                 "helix": "civil_society"})
    assert infeasible.status_code == 200
    assert "No consortium satisfies the constraints" in infeasible.text
    with db.session_scope(web_url) as s:
        before = len(svc.list_consortia(s, DEMO, ta=ta))
    stored = anna.post(f"{BASE}/consortia", {"ta": ta, "size_min": "3", "size_max": "6",
                                             "max_external": "2", "preview": "0",
                                             "helix": ["industry", "academia", "government"]})
    assert stored.status_code == 303
    with db.session_scope(web_url) as s:
        assert len(svc.list_consortia(s, DEMO, ta=ta)) == before + 1


def test_kanban_moves_by_form_and_by_script(browser, web_url, facts):
    anna = browser("anna")
    first, second = facts["planned"][:2]
    r = anna.post(f"{BASE}/actions/{first}/status", {"status": "in_progress"})
    assert r.status_code == 303
    js = anna.post(f"{BASE}/actions/{second}/status", {"status": "on_hold"},
                   headers={"Accept": "application/json"})
    assert js.status_code == 200 and js.json()["status"] == "on_hold"
    refused = anna.post(f"{BASE}/actions/{first}/status", {"status": "planned"},
                        headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "cannot change" in refused.json()["detail"]
    with db.session_scope(web_url) as s:
        assert svc.get_action(s, DEMO, first).status == "in_progress"
        assert svc.get_action(s, DEMO, second).status == "on_hold"
    board = anna.get(f"{BASE}/implementation").text
    assert f'data-id="{first}" data-status="in_progress"' in board
    assert "Critical mass per TA" in board and "Good practices for the actions" in board


def test_every_table_exports_as_csv_and_excel(browser, facts):
    from smartspec.web.pages.common import _BUILDERS

    olga = browser("olga")
    opened = olga.post(f"{BASE}/workshops", {"kind": "edw", "title": "Export EDW",
                                             "n_items": "3"})
    workshop = opened.headers["location"].split("/workshops/")[1].split("?")[0]
    params = {"related": {"code": "C28"}, "partners": {"code": "C28"},
              "workshop-aggregate": {"workshop": workshop},
              "workshop-scores": {"workshop": workshop}}
    assert len(_BUILDERS) >= 25
    for key in _BUILDERS:
        for fmt in ("csv", "xlsx"):
            r = olga.get(f"{BASE}/export/{key}.{fmt}", params=params.get(key, {}))
            assert r.status_code == 200, (key, fmt, r.text[:300])
            assert "attachment" in r.headers["content-disposition"]
            if fmt == "csv":
                assert r.content.startswith(b"\xef\xbb\xbf")
            else:
                book = openpyxl.load_workbook(io.BytesIO(r.content))
                assert book.active.max_column >= 1
    vic = browser("vic")
    assert vic.get(f"{BASE}/export/members.csv").status_code == 403
    assert vic.get(f"{BASE}/export/nothing.csv").status_code == 404


def test_monitoring_page_report_and_inputs(browser, web_url, facts):
    anna, sam = browser("anna"), browser("sam")
    ta = facts["tas"][0]
    page = anna.get(f"{BASE}/monitoring?ta={ta}")
    assert page.status_code == 200 and "RIS3 self-assessment" in page.text
    assert "Check of" in page.text
    report = anna.get(f"{BASE}/monitoring/report.html")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert "<script src=\"http" not in report.text  # self-contained, offline
    assert report.headers["content-security-policy"] == DOCUMENT_CSP  # fetches nothing
    assert page.headers["content-security-policy"] == PAGE_CSP
    book = anna.get(f"{BASE}/monitoring/report.xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    refused = anna.post(f"{BASE}/monitoring/observations",
                        {"ta": ta, "indicator": "new_firms", "year": "2025", "value": "many"})
    assert refused.status_code == 422
    ok = anna.post(f"{BASE}/monitoring/observations",
                   {"ta": ta, "indicator": "new_firms", "year": "2025", "value": "7"})
    assert ok.status_code == 303
    scored = sam.post(f"{BASE}/monitoring/self-assessment", {"f_s1_assets": "4",
                                                              "f_s2_helix": "2"})
    assert scored.status_code == 303
    from smartspec.store import monitoring_services as ms

    with db.session_scope(web_url) as s:
        frame = ms.observations_frame(s, DEMO, ta=ta)
        assert ((frame["indicator"] == "new_firms") & (frame["year"] == 2025)
                & (frame["value"] == 7)).any()
        steps = ms.self_assessment_steps(s, DEMO)
        assert len(steps) and set(steps["step"]) >= {1, 2}


def test_evidence_import_shows_the_validation_report(browser):
    anna, vic = browser("anna"), browser("vic")
    good = ("region,activity,year,value\nAT31,C25,2016,100\nAT31,C28,2016,250\n"
            "AT32,C25,2016,80\nAT32,C28,2016,20\n")
    r = anna.post(f"{BASE}/evidence/import", {"action": "validate"},
                  files={"file": ("employment.csv", good.encode(), "text/csv")})
    assert r.status_code == 200 and "Validation report" in r.text
    assert "Nothing was stored" in r.text and "records" in text_of(r.text)
    bad = "region,activity,year,value\nAT31,C25,2016,abc\n"
    r = anna.post(f"{BASE}/evidence/import", {"action": "validate"},
                  files={"file": ("bad.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422 and "bad.csv" in text_of(r.text)
    r = anna.post(f"{BASE}/evidence/import", {"action": "validate"},
                  files={"file": ("notes.pdf", b"%PDF-1.4", "application/pdf")})
    assert r.status_code == 422 and "Unsupported file type" in text_of(r.text)
    assert vic.post(f"{BASE}/evidence/import", {"action": "validate"},
                    files={"file": ("x.csv", good.encode(), "text/csv")}).status_code == 403


def test_sign_in_failures_and_sign_out(browser):
    anonymous = browser()
    wrong = anonymous.sign_in("anna", "wrong-password-123", expect=401)
    assert "Invalid user name or password" in wrong.text
    anna = browser("anna")
    out = anna.post("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert anna.get(BASE, follow_redirects=False).status_code == 303


def test_invitation_link_creates_an_account_and_joins(browser, web_url):
    olga = browser("olga")
    page = olga.post(f"{BASE}/members/invite", {"role": "stakeholder", "days": "3",
                                                "note": "EDW of March"})
    assert page.status_code == 200
    link = page.text.split('id="invite-link" type="text" readonly value="', 1)[1].split('"')[0]
    path = "/invite/" + link.rsplit("/invite/", 1)[1]
    guest = browser()
    form = guest.get(path)
    assert form.status_code == 200 and "Join" in form.text and "EDW of March" in form.text
    from pages_support import csrf_of

    guest.token = csrf_of(form.text)
    r = guest.post(path, {"username": "newbie", "display_name": "New Bie",
                          "password": "newbie-password-1", "password2": "newbie-password-1"})
    assert r.status_code == 303 and r.headers["location"] == f"{BASE}?ok=joined"
    assert guest.get(BASE).status_code == 200
    assert browser().get(path).status_code == 404  # used up


def test_evidence_import_stores_a_data_year_for_the_monitoring(browser, web_url):
    from smartspec import datasets
    from smartspec.store import monitoring_services as ms

    frame = datasets.sbs_employment().frame
    body = frame[["region", "activity", "year", "value"]].to_csv(index=False).encode()
    anna = browser("anna")
    r = anna.post(f"{BASE}/evidence/import", {"action": "import", "dataset": "sbs_test"},
                  files={"file": ("sbs.csv", body, "text/csv")})
    assert r.status_code == 200, text_of(r.text)[:800]
    assert "context indicators recomputed" in text_of(r.text)
    assert "sbs_test 2015: created" in text_of(r.text)
    with db.session_scope(web_url) as s:
        years = [(y.dataset, y.year) for y in ms.list_data_years(s, DEMO)]
    assert ("sbs_test", 2015) in years
    again = anna.post(f"{BASE}/evidence/import", {"action": "import", "dataset": "sbs_test"},
                      files={"file": ("sbs.csv", body, "text/csv")})
    assert "sbs_test 2015: unchanged" in text_of(again.text)  # idempotent


def test_monitoring_report_as_pdf(browser):
    """The PDF is printed by headless Chromium (``make test`` installs it)."""
    vic = browser("vic")
    r = vic.get(f"{BASE}/monitoring/report.pdf")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
