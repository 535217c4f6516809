"""The demo workspace: built from the shipped data, idempotent, exportable."""

from __future__ import annotations

import copy

from smartspec.store import db, exchange, planning
from smartspec.store import services as svc
from smartspec.store.demo import seed_demo
from smartspec.store.strategy_doc import write_strategy


def test_seed_demo_builds_the_demo_and_is_idempotent(store_url, rows_of, tmp_path):
    result = seed_demo(store_url, region="AT31")
    assert result.created and result.slug == "demo-at31" and len(result.tas) == 2
    cands = planning.embedded_candidates("AT31")
    with db.session_scope(store_url) as s:
        ws = svc.get_workspace(s, "demo-at31")
        assert ws.home_region == "AT31" and len(ws.regions) >= 3
        actors = svc.list_actors(s, ws)
        assert actors and all(a.fictional and a.name.endswith("(fictional)") for a in actors)
        for ta in svc.list_tas(s, ws):
            # chosen by discovery: a high-ranked candidate, stored with its evidence
            assert cands.loc[ta.activity, "rank"] <= 10
            snap = ta.evidence_snapshot
            assert snap["candidate"]["score"] == cands.loc[ta.activity, "score"]
            assert snap["source"] == planning.CANDIDATE_SOURCE
            assert 0 < snap["critical_mass"]["ratio"]
            (consortium,) = svc.list_consortia(s, ws, ta=ta)
            assert 0 < consortium.coverage <= 1 and len(consortium.members) >= 3
            assert consortium.parameters["status"] in ("optimal", "time_limit")
            actions = svc.list_actions(s, ws, ta=ta)
            assert {a.action_type for a in actions} >= {"funding_search"}
            assert all(a.rationale and a.status == "planned" for a in actions)
            assert [a.position for a in actions] == list(range(len(actions)))
        assert len(svc.list_funding_instruments(s, ws)) >= 20
        assert len(svc.list_good_practices(s, ws)) >= 30
        html = write_strategy(s, ws, result.tas[0], tmp_path).read_text(encoding="utf-8")
    assert "fictional demo actors" in html and "Funding:" in html

    before = rows_of(store_url)
    again = seed_demo(store_url, region="AT31")
    assert not again.created and again.tas == result.tas
    assert rows_of(store_url) == before  # nothing added, nothing changed, nothing audited

    # a realistic round trip: the demo exported, imported into a fresh store, exported again
    with db.session_scope(store_url) as s:
        doc = exchange.workspace_document(s, "demo-at31")
    fresh = db.database_url(tmp_path / "fresh.sqlite3")
    db.upgrade(fresh)
    with db.session_scope(fresh) as s:
        exchange.import_workspace(s, doc)
    with db.session_scope(fresh) as s:
        again_doc = exchange.workspace_document(s, "demo-at31")
    strip = [copy.deepcopy(d) for d in (doc, again_doc)]
    for d in strip:
        d.pop("exported_at")
    assert strip[0] == strip[1]


def test_seed_demo_in_an_open_session_completes_a_workspace(store_url):
    with db.session_scope(store_url, user="ana") as s:
        svc.create_workspace(s, "Mine", region="AT31", slug="mine")
        result = seed_demo(s, slug="mine", n_tas=1)
        assert result.slug == "mine" and len(result.tas) == 1 and not result.created
    with db.session_scope(store_url) as s:
        assert svc.get_workspace(s, "mine").name == "Mine"
        assert len(svc.list_consortia(s, "mine")) == 1
