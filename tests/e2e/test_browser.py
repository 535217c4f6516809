"""The platform end to end, in headless Chromium against a real uvicorn server (see
``conftest.py``): sign in, open the demo workspace, re-weight the candidates, run an EDW with two
stakeholders, select a TA, build a consortium, move an action on the board, download the
monitoring report, and be refused where the role does not allow it.

Every wait is on an element, a URL or a response (no sleeps). The tests share one server and
store; each one makes its own objects (workshop, TA, consortium, action move) so that they do
not depend on their order.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

SUBSCORES = ("feasibility", "value", "advantage", "momentum", "transformative_potential",
             "capability_gap")


def _ids(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "rows => rows.map(r => r.dataset.id)")


def _api(page: Any, path: str) -> Any:
    """GET an API path with the page's session cookie."""
    r = page.request.get(path)
    assert r.status == 200, f"{path}: {r.status} {r.text()[:300]}"
    return r.json()


# ---------------------------------------------------------------------------------- sign in


def test_sign_in_and_open_the_demo_workspace(open_as, e2e_server):
    page = open_as(signed_in=False)
    # a workspace page sends an anonymous visitor to the login form, then back
    page.goto(e2e_server.base)
    assert re.search(r"/login\?next=", page.url), page.url
    page.fill("#username", "demo-owner")
    page.fill("#password", "not-the-password")
    with page.expect_response(lambda r: r.url.endswith("/login")
                              and r.request.method == "POST") as answer:
        page.click("form[action='/login'] button[type=submit]")
    assert answer.value.status == 401
    assert "Invalid user name or password" in page.inner_text(".notice-error")

    page.fill("#password", e2e_server.password("demo-owner"))
    with page.expect_navigation(url=f"{e2e_server.url}{e2e_server.base}"):
        page.click("form[action='/login'] button[type=submit]")

    # the home page lists the workspace; its card opens the dashboard
    page.goto("/")
    page.click(f"a[href='{e2e_server.base}']")
    page.wait_for_url(f"{e2e_server.url}{e2e_server.base}")
    page.wait_for_selector("#chart-map .main-svg")  # drawn by the local Plotly
    main = page.inner_text("main")
    assert "Transformative activities" in main
    tas = _api(page, f"/api/v1/workspaces/{e2e_server.workspace}/tas")
    assert tas and all(ta["activity"] in main for ta in tas)

    # every chart downloads as PNG and SVG from its mode bar (drawn in the browser, offline,
    # under the pages' Content-Security-Policy)
    page.hover("#chart-map .main-svg")
    titles = page.eval_on_selector_all("#chart-map .modebar-btn",
                                       "bs => bs.map(b => b.dataset.title)")
    assert not [t for t in titles if "share" in t.lower() or "cloud" in t.lower()], titles
    for title, magic in (("Download plot as a PNG", b"\x89PNG"), ("Download SVG", b"<svg")):
        with page.expect_download() as info:
            page.click(f"#chart-map .modebar-btn[data-title='{title}']")
        assert info.value.failure() is None
        assert Path(info.value.path()).read_bytes()[:len(magic)] == magic, title


def test_every_page_draws_its_charts(open_as, e2e_server):
    """Every page of the workspace, with all its charts drawn by the local Plotly: the
    watcher fails the test on a script error, a refusal by the Content-Security-Policy or a
    request leaving the machine."""
    page = open_as("demo-owner")  # the members page is the owner's
    base = e2e_server.base
    ta = _api(page, f"/api/v1/workspaces/{e2e_server.workspace}/tas")[0]["activity"]
    drawn = 0
    for path in ("", "/evidence", "/discovery", f"/ta/{ta}", "/workshops", "/strategy",
                 "/implementation", "/monitoring", "/members"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        plots = page.locator("main .plot").count()
        for i in range(plots):
            page.locator("main .plot").nth(i).locator(".main-svg").first.wait_for()
        drawn += plots
    assert drawn >= 12  # 18 in the demo workspace
    for path in ("/", "/admin/users"):  # the site's own pages (the owner is an administrator)
        response = page.goto(path)
        assert response is not None and response.status == 200, path


# ----------------------------------------------------------------------------- discovery


def test_moving_the_weights_reranks_the_candidates(open_as, e2e_server):
    page = open_as("e2e-analyst")
    page.goto(f"{e2e_server.base}/discovery")
    rows = "#candidates-table tbody tr"
    before = _ids(page, rows)
    assert len(before) >= 10

    # with the keyboard, as a user would: every weight to 0 (Home) but "value" to 1 (End)
    for key in SUBSCORES:
        page.focus(f"#w-{key}")
        page.keyboard.press("End" if key == "value" else "Home")
    page.wait_for_function(
        """() => { const q = new URLSearchParams(location.search);
                   return q.get('w_value') === '1' && ['feasibility', 'advantage', 'momentum',
                     'transformative_potential', 'capability_gap']
                     .every(k => q.get('w_' + k) === '0')
                   && document.querySelector('#candidates-table').dataset.updated; }""")
    assert page.inner_text("#o-value") == "1.00"
    after = _ids(page, rows)
    assert after != before
    # ranked by the value sub-score alone now
    values = [float(v.replace(",", ".")) for v in page.eval_on_selector_all(
        f"{rows} td[data-col='value']", "cells => cells.map(c => c.textContent.trim())")]
    assert values == sorted(values, reverse=True)
    ranks = [int(r) for r in page.eval_on_selector_all(
        f"{rows} td[data-col='rank']", "cells => cells.map(c => c.textContent.trim())")]
    assert ranks == list(range(1, len(ranks) + 1))
    # the same ranking as the API with these weights
    api = _api(page, f"/api/v1/workspaces/{e2e_server.workspace}/candidates?"
               + "&".join(f"{k}={1 if k == 'value' else 0}" for k in SUBSCORES)
               + f"&limit={len(after)}")
    assert [c["activity"] for c in api["candidates"]] == after

    # the weights survive a reload (kept in the address, read by the server)
    page.reload()
    assert page.input_value("#w-value") == "1"
    assert _ids(page, rows) == after


def test_selecting_a_ta_from_discovery(open_as, e2e_server):
    page = open_as("e2e-analyst")
    page.goto(f"{e2e_server.base}/discovery")
    free = page.locator("#candidates-table tbody tr:has(form button[type=submit])").first
    code = free.get_attribute("data-id")
    with page.expect_navigation(url=re.compile(rf"/ta/{code}\?.*ok=ta_selected")):
        free.locator("button[type=submit]").click()
    assert page.locator(".page-head .badge-green").count() == 1  # "selected"
    page.wait_for_selector(".notice-ok")

    tas = {ta["activity"]: ta for ta in _api(page, f"/api/v1/workspaces/"
                                                  f"{e2e_server.workspace}/tas")}
    assert tas[code]["status"] == "selected"
    page.goto(f"{e2e_server.base}/discovery")
    row = page.locator(f"#candidates-table tbody tr[data-id='{code}']")
    assert row.locator("form").count() == 0  # no second selection
    assert row.locator(".badge-green").count() == 1


# ------------------------------------------------------------------------------- workshops


def test_an_edw_with_two_stakeholders(open_as, e2e_server):
    owner = open_as("demo-owner")
    owner.goto(f"{e2e_server.base}/workshops")
    owner.fill("#ws-title", "E2E discovery workshop")
    owner.fill("#ws-n", "4")
    with owner.expect_navigation(url=re.compile(r"/workshops/\d+\?.*ok=workshop_opened")):
        owner.click("form[action$='/workshops'] button[type=submit]")
    workshop = owner.url.split("?")[0]
    workshop_id = workshop.rsplit("/", 1)[-1]
    items = _ids(owner, "#aggregate-table tbody tr")
    assert len(items) == 4
    # an item that is not a TA yet (the selection of this test)
    item = next(i for i in items if owner.locator(
        f"#aggregate-table tr[data-id='{i}'] form").count() == 1)

    scores = {"demo-stakeholder": (5, 4), "e2e-stakeholder2": (3, 2)}
    for user, (capacity, opportunity) in scores.items():
        page = open_as(user)
        page.goto(workshop)
        page.check(f"input[name='capacity_{item}'][value='{capacity}']", force=True)
        page.check(f"input[name='opportunity_{item}'][value='{opportunity}']", force=True)
        page.fill(f"#c-{item}", f"comment by {user}")
        with page.expect_navigation(url=re.compile(r"ok=scored")):
            page.click("#score button[type=submit]")
        assert page.is_checked(f"input[name='capacity_{item}'][value='{capacity}']")

    # the facilitator's page picks the scores up by itself (polling the aggregate)
    owner.wait_for_selector(f"#aggregate-body[data-updated] tr[data-id='{item}'] "
                            "td[data-col='n']:text-is('2')")
    row = owner.locator(f"#aggregate-table tbody tr[data-id='{item}']")
    text = row.inner_text()
    assert "comment by demo-stakeholder" in text and "comment by e2e-stakeholder2" in text
    assert row.locator("td[data-col='capacity_txt']").inner_text().startswith("4.00")
    assert row.locator("td[data-col='opportunity_txt']").inner_text().startswith("3.00")
    aggregate = _api(owner, f"/api/v1/workspaces/{e2e_server.workspace}/workshops/"
                            f"{workshop_id}/aggregate")
    assert aggregate["status"] == "open" and aggregate["participants"] == 2
    mine = next(r for r in aggregate["items"] if r["item"] == item)
    assert (mine["n"], mine["capacity_mean"], mine["opportunity_mean"]) == (2, 4.0, 3.0)

    # the facilitator selects the item as a TA and closes the workshop
    with owner.expect_navigation(url=re.compile(r"ok=ta_selected")):
        row.locator("form button[type=submit]").click()
    with owner.expect_navigation(url=re.compile(r"ok=workshop_closed")):
        owner.click("form[action$='/close'] button[type=submit]")  # confirm accepted
    assert "This workshop is closed" in owner.inner_text("main")
    assert owner.locator(f"#aggregate-table tr[data-id='{item}'] .badge-green").count() == 1
    tas = _api(owner, f"/api/v1/workspaces/{e2e_server.workspace}/tas")
    assert item in {ta["activity"] for ta in tas if ta["status"] == "selected"}


# -------------------------------------------------------------------------------- strategy


def test_building_a_consortium(open_as, e2e_server):
    page = open_as("e2e-analyst")
    page.goto(f"{e2e_server.base}/strategy")
    ta = page.input_value("#consortium input[name='ta']")
    # constraints no consortium can meet (one member, three helices): refused with reasons
    page.fill("#c-min", "1")
    page.fill("#c-max", "1")
    with page.expect_navigation():
        page.click("#consortium button[name='preview'][value='1']")
    refusal = page.locator("#consortium-result .notice-error")
    assert "No consortium satisfies the constraints" in refusal.inner_text()
    assert refusal.locator("li").count() >= 1  # the reason(s)

    # a feasible one: preview first (nothing stored), then build and store it
    page.fill("#c-min", "3")
    page.fill("#c-max", "6")
    page.fill("#c-name", "E2E consortium")
    with page.expect_navigation():
        page.click("#consortium button[name='preview'][value='1']")
    result = page.inner_text("#consortium-result .notice-ok")
    assert "Consortium found" in result and "preview" in result
    assert page.locator("#consortium-result li").count() >= 3
    with page.expect_navigation(url=re.compile(r"ok=consortium_saved")):
        page.click("#consortium button[name='preview'][value='0']")
    assert f"ta={ta}" in page.url  # back on the TA's strategy
    assert "E2E consortium" in page.inner_text("#consortium")
    stored = _api(page, f"/api/v1/workspaces/{e2e_server.workspace}/consortia")
    assert sum(c["name"] == "E2E consortium" for c in stored) == 1


# -------------------------------------------------------------------------- implementation


def test_moving_an_action_on_the_board(open_as, e2e_server):
    page = open_as("e2e-analyst")
    page.goto(f"{e2e_server.base}/implementation")
    card = page.locator(".kanban-col[data-status='planned'] .kcard[draggable=true]").first
    action = card.get_attribute("data-id")
    card_in = ".kanban-col[data-status='{}'] .kcard[data-id='" + action + "']"

    # a move the workflow forbids (planned -> done): the column does not take the card
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    card.drag_to(page.locator(".kanban-col[data-status='done']"))
    assert page.locator(card_in.format("planned")).count() == 1
    assert page.locator(card_in.format("done")).count() == 0
    assert sent == []

    # drag and drop planned -> in progress: saved, then the board reloads
    with page.expect_response(lambda r: r.url.endswith(f"/actions/{action}/status")) as answer:
        card.drag_to(page.locator(".kanban-col[data-status='in_progress']"))
    assert answer.value.status == 200
    page.wait_for_load_state()
    page.wait_for_selector(card_in.format("in_progress"))
    got = _api(page, f"/api/v1/workspaces/{e2e_server.workspace}/actions/{action}")
    assert got["status"] == "in_progress"

    # the form of the card (no drag and drop): in progress -> done
    moved = page.locator(card_in.format("in_progress"))
    moved.locator("select[name='status']").select_option("done")
    with page.expect_navigation(url=re.compile(r"ok=action_moved")):
        moved.locator("button[type=submit]").click()
    page.wait_for_selector(card_in.format("done"))
    got = _api(page, f"/api/v1/workspaces/{e2e_server.workspace}/actions/{action}")
    assert got["status"] == "done"


# ------------------------------------------------------------------------------ monitoring


def test_downloading_the_monitoring_report(open_as, e2e_server):
    page = open_as("e2e-viewer")  # reading the report needs no more than a viewer
    page.goto(f"{e2e_server.base}/monitoring")
    with page.expect_download() as info:
        page.click(f"a[href='{e2e_server.base}/monitoring/report.html']")
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".html")
    report = Path(download.path()).read_text(encoding="utf-8")
    assert report.lower().lstrip().startswith(("<!doctype html", "<html"))
    tas = _api(page, f"/api/v1/workspaces/{e2e_server.workspace}/tas")
    assert any(ta["activity"] in report for ta in tas)

    with page.expect_download() as info:
        page.click(f"a[href='{e2e_server.base}/monitoring/report.xlsx']")
    assert Path(info.value.path()).read_bytes()[:2] == b"PK"  # an Excel (zip) workbook

    # the API serves the report inline: its own Plotly draws its charts under the documents'
    # Content-Security-Policy, which lets nothing be fetched
    page.goto(f"/api/v1/workspaces/{e2e_server.workspace}/reports/monitoring.html")
    page.locator(".main-svg").first.wait_for()


# ----------------------------------------------------------------------------------- roles


def test_a_role_is_refused_what_it_may_not_do(open_as, e2e_server):
    base = e2e_server.base
    sam = open_as("demo-stakeholder")
    # a stakeholder sees the strategy and the board without the tools to change them
    sam.goto(f"{base}/strategy")
    assert sam.locator("#consortium form").count() == 0
    sam.goto(f"{base}/implementation")
    assert sam.locator(".kcard[draggable=true], .kcard form").count() == 0
    action = sam.locator(".kcard").first.get_attribute("data-id")
    # and the server refuses the change when it is sent anyway (with a valid CSRF token)
    token = sam.get_attribute("meta[name='csrf-token']", "content")
    assert token
    refused = sam.request.post(f"{base}/actions/{action}/status",
                               form={"status": "on_hold", "csrf_token": token},
                               headers={"Accept": "application/json"})
    assert refused.status == 403, refused.text()
    page = sam.goto(f"{base}/members")
    assert page is not None and page.status == 403
    # another workspace's pages do not exist for a non-member
    page = sam.goto("/w/no-such-workspace")
    assert page is not None and page.status == 404

    # a viewer may read a workshop but not score in it
    owner = open_as("demo-owner")
    owner.goto(f"{base}/workshops")
    owner.fill("#ws-title", "E2E roles workshop")
    owner.fill("#ws-n", "2")
    with owner.expect_navigation(url=re.compile(r"/workshops/\d+\?.*ok=workshop_opened")):
        owner.click("form[action$='/workshops'] button[type=submit]")
    workshop = owner.url.split("?")[0]
    item = _ids(owner, "#aggregate-table tbody tr")[0]
    vic = open_as("e2e-viewer")
    vic.goto(workshop)
    assert vic.locator("#score").count() == 0
    token = vic.get_attribute("meta[name='csrf-token']", "content")
    refused = vic.request.post(f"{workshop}/scores",
                               form={f"capacity_{item}": "5", f"opportunity_{item}": "5",
                                     "csrf_token": token},
                               headers={"Accept": "application/json"})
    assert refused.status == 403, refused.text()
    assert vic.goto(f"{base}/workshops").status == 200
    assert vic.locator("#ws-title").count() == 0  # cannot open one either
