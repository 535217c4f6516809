"""Services of the workspace store, on SQLite and PostgreSQL: changes, audit log, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from smartspec.store import db
from smartspec.store import services as svc
from smartspec.store.models import ActionParticipant, ActorRecord, ConsortiumMember
from smartspec.strategy.actions import InvalidTransition
from smartspec.strategy.actors import ActorValidationError

ACTORS_CSV = """name,actor_type,region,activities,skills,size,contact_role
Acme Maschinen,firm,AT31,C28;C25,,250,innovation manager
JKU Linz,university,AT31,P85,,,technology transfer office
Cluster Mechatronik,cluster_organisation,AT31,M70,,12,cluster manager
Land OÖ,public_authority,AT31,O84,,,economic policy unit
"""


@pytest.fixture
def seeded(store_url):
    """Two workspaces, alpha (AT31) and beta (DE21), each with actors and a TA."""
    with db.session_scope(store_url, user="setup") as s:
        alpha = svc.create_workspace(s, "Alpha S3", region="AT31", partners=["DE21"])
        beta = svc.create_workspace(s, "Beta S3", region="DE21")
        for ws, region in ((alpha, "AT31"), (beta, "DE21")):
            svc.import_actors(s, ws, [
                {"name": "Acme", "actor_type": "firm", "region": region, "activities": ["C28"]},
                {"name": "Uni", "actor_type": "university", "region": region},
                {"name": "Agency", "actor_type": "public_authority", "region": region},
            ])
            svc.select_ta(s, ws, "C28", candidate={"score": 0.8, "mode": "modernisation"})
    return store_url


def ids(url: str, slug: str) -> dict[str, int]:
    with db.session_scope(url) as s:
        return {a.name: a.id for a in svc.list_actors(s, slug)}


# ------------------------------------------------------------------------------ happy paths


def test_workspace_regions_and_ta_snapshot(store_url):
    import pandas as pd

    row = pd.Series({"score": 0.61, "mode": "diversification", "partners": ["DE21", "AT32"],
                     "density": float("nan"), "rank": 3}, name="C27")
    with db.session_scope(store_url, user="ana") as s:
        ws = svc.create_workspace(s, "Oberösterreich S3", region="at31",
                                  description="Upper Austria", partners=["AT32"])
        svc.add_region(s, ws, "DE21")
        ta = svc.select_ta(s, ws, "C27", candidate=row, source="Eurostat sbs_r_nuts06_r2")
    with db.session_scope(store_url) as s:
        ws = svc.get_workspace(s, "oberosterreich-s3")
        assert ws.home_region == "AT31"
        assert [(r.code, r.role, r.name) for r in ws.regions] == [
            ("AT31", "home", "Oberösterreich"), ("AT32", "partner", "Salzburg"),
            ("DE21", "partner", "Oberbayern")]
        assert ws.data_version == svc.default_data_version()
        ta = svc.get_ta(s, ws, "C27")
        assert ta.label == "Manufacture of electrical equipment"
        assert ta.mode == "diversification"
        snap = ta.evidence_snapshot
        assert snap["candidate"] == {"activity": "C27", "score": 0.61, "mode": "diversification",
                                     "partners": ["DE21", "AT32"], "density": None, "rank": 3}
        assert snap["source"] == "Eurostat sbs_r_nuts06_r2"
        assert snap["data_version"] == ws.data_version
        assert [w.slug for w in svc.list_workspaces(s)] == ["oberosterreich-s3"]


def test_actions_consortium_and_workflow(seeded):
    a = ids(seeded, "alpha-s3")
    with db.session_scope(seeded, user="ben") as s:
        action = svc.add_action(s, "alpha-s3", {
            "title": "Build the C28 consortium", "action_type": "consortium_creation",
            "owner": a["Acme"], "participants": [a["Uni"], a["Agency"]],
            "start": "2025-01-01", "end": dt.date(2025, 12, 31), "deadline": "2025-06-30",
            "budget": 120000, "committed": "40000", "regions": ["AT31", "de21"],
            "attachments": [{"name": "mou.pdf", "size": 1024, "media_type": "application/pdf",
                             "uri": "file:mou.pdf"}],
            "milestones": [{"title": "kick-off", "due": "2025-02-01"}],
            "indicators": ["consortium size"], "rationale": "low critical mass"}, ta="C28")
        action_id = action.id
        consortium = svc.record_consortium(s, "alpha-s3", "C28", [a["Acme"], a["Uni"]],
                                           coverage=0.75, parameters={"size": [2, 6]},
                                           lead=a["Uni"], notes="draft")
        assert [(m.actor_id, m.role) for m in consortium.members] == [
            (a["Acme"], "member"), (a["Uni"], "lead")]
    with db.session_scope(seeded, user="ben") as s:
        svc.update_action(s, "alpha-s3", action_id, status="in_progress", spent=1000,
                          participants=[a["Uni"]])
        svc.update_action(s, "alpha-s3", action_id, status="on_hold")
        svc.update_action(s, "alpha-s3", action_id, status="in_progress")
        svc.update_action(s, "alpha-s3", action_id, status="done")
        with pytest.raises(InvalidTransition, match="final"):
            svc.update_action(s, "alpha-s3", action_id, status="in_progress")
    with db.session_scope(seeded) as s:
        (stored,) = svc.list_actions(s, "alpha-s3", ta="C28")
        assert stored.status == "done" and stored.spent == 1000.0
        assert stored.participant_ids == [a["Uni"]] and stored.owner.name == "Acme"
        assert stored.regions == ["AT31", "DE21"]
        domain = svc.action_to_domain(stored)
        assert domain.ta == "C28" and domain.milestones[0]["due"] == dt.date(2025, 2, 1)
        assert domain.start == dt.date(2025, 1, 1) and domain.end == dt.date(2025, 12, 31)
        assert svc.list_actions(s, "alpha-s3", status="planned") == []
        assert svc.list_actions(s, "beta-s3") == []


def test_every_change_is_audited_with_who_when_what(seeded):
    a = ids(seeded, "alpha-s3")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with db.session_scope(seeded, user="carla", context="form") as s:
        svc.update_actor(s, "alpha-s3", a["Acme"], size=300, technologies=["robotics"])
        action = svc.add_action(s, "alpha-s3", {"title": "Train welders",
                                                "action_type": "skills_training",
                                                "participants": [a["Uni"]]})
        svc.delete_action(s, "alpha-s3", action)
    with db.session_scope(seeded) as s:
        entries = svc.audit_entries(s, "alpha-s3", limit=None)
        mine = [e for e in entries if e.who == "carla"]
        assert all(e.at >= start and e.context == "form" for e in mine)
        update = next(e for e in mine if e.table_name == "actors")
        assert update.action == "update" and update.object_id == str(a["Acme"])
        assert update.before == {"size": None, "technologies": []}
        assert update.after == {"size": 300, "technologies": ["robotics"]}
        kinds = sorted((e.table_name, e.action) for e in mine if e.table_name != "actors")
        assert kinds == [("action_participants", "create"), ("action_participants", "delete"),
                         ("actions", "create"), ("actions", "delete")]
        assert {e.who for e in entries} == {"setup", "carla"}
        # the setup wrote one entry per row: 1 workspace + 2 regions + 3 actors + 1 TA
        assert sum(e.who == "setup" for e in entries) == 7


def test_savepoint_keeps_earlier_work_when_a_later_call_is_refused(seeded, rows_of):
    with db.session_scope(seeded) as s:
        svc.add_actor(s, "alpha-s3", {"name": "Kept", "actor_type": "finance",
                                      "region": "AT31"})
        with pytest.raises(ActorValidationError):
            svc.import_actors(s, "alpha-s3", [
                {"name": "Would be new", "actor_type": "firm", "region": "AT31"},
                {"name": "Broken", "actor_type": "startup", "region": "AT31"}])
    with db.session_scope(seeded) as s:
        names = {a.name for a in svc.list_actors(s, "alpha-s3")}
    assert "Kept" in names and "Would be new" not in names


def test_funding_good_practices_and_monitoring(seeded):
    with db.session_scope(seeded, user="dora") as s:
        svc.add_funding_instrument(s, "alpha-s3", {
            "key": "ooe-innovation", "name": "Innovation voucher", "programme": "Land OÖ",
            "scope": "regional", "eligible_actor_types": ["firm"], "trl_min": 4,
            "trl_max": 7, "geographic_scope": ["AT31"], "action_types": ["collaborative_rnd"]})
        svc.update_funding_instrument(s, "alpha-s3", "ooe-innovation", cofunding_rate=0.5)
        with pytest.raises(svc.ConflictError):
            svc.add_funding_instrument(s, "alpha-s3", {"key": "ooe-innovation", "name": "x",
                                                       "scope": "regional"})
        svc.add_good_practice(s, {"key": "gp-global", "title": "Global practice",
                                  "action_types": ["cluster_service"]})
        svc.add_good_practice(s, {"key": "gp-local", "title": "Local practice"},
                              workspace="alpha-s3")
        svc.record_monitoring(s, "alpha-s3", "C28", "rca", kind="context", year=2017,
                              value=1.4, unit="ratio")
        svc.record_monitoring(s, "alpha-s3", "C28", "rca", kind="context", year=2018,
                              value=1.5, unit="ratio")
        svc.record_monitoring(s, "alpha-s3", "C28", "rca", kind="context", year=2018,
                              value=1.6, unit="ratio")  # idempotent upsert
        with pytest.raises(svc.StoreValidationError, match="unit"):
            svc.record_monitoring(s, "alpha-s3", "C28", "rca", kind="context", year=2019,
                                  value=1.0, unit="%")
        with pytest.raises(svc.StoreValidationError, match="numeric"):
            svc.record_monitoring(s, "alpha-s3", "C28", "rca", kind="context", year=2019,
                                  value="high", unit="ratio")
        with pytest.raises(svc.StoreValidationError, match="between 1900 and 2100"):
            svc.record_monitoring(s, "alpha-s3", "C28", "rca", kind="context", year=3019,
                                  value=1, unit="ratio")
    with db.session_scope(seeded) as s:
        (fi,) = svc.list_funding_instruments(s, "alpha-s3")
        assert fi.cofunding_rate == 0.5 and fi.trl_min == 4
        assert svc.list_funding_instruments(s, "beta-s3") == []
        assert [p.key for p in svc.list_good_practices(s, "alpha-s3")] == ["gp-global",
                                                                           "gp-local"]
        assert [p.key for p in svc.list_good_practices(s, "beta-s3")] == ["gp-global"]
        values = [(r.year, r.value) for r in svc.list_monitoring(s, "alpha-s3", ta="C28")]
        assert values == [(2017, 1.4), (2018, 1.6)]
        svc.delete_funding_instrument(s, "alpha-s3", "ooe-innovation")
        assert svc.list_funding_instruments(s, "alpha-s3") == []


def test_delete_actor_detaches_it_everywhere(seeded):
    a = ids(seeded, "alpha-s3")
    with db.session_scope(seeded) as s:
        action = svc.add_action(s, "alpha-s3", {"title": "R&D", "action_type":
                                                "collaborative_rnd", "owner": a["Acme"],
                                                "participants": [a["Acme"], a["Uni"]]})
        svc.record_consortium(s, "alpha-s3", "C28", [a["Acme"], a["Uni"]])
        action_id = action.id
    with db.session_scope(seeded, user="eva") as s:
        svc.delete_actor(s, "alpha-s3", a["Acme"])
    with db.session_scope(seeded) as s:
        action = svc.get_action(s, "alpha-s3", action_id)
        assert action.owner_id is None and action.participant_ids == [a["Uni"]]
        assert [m.actor_id for m in svc.list_consortia(s, "alpha-s3")[0].members] == [a["Uni"]]
        deleted = {e.table_name for e in svc.audit_entries(s, "alpha-s3") if e.who == "eva"
                   and e.action == "delete"}
        assert deleted == {"actors", "action_participants", "consortium_members"}


# ------------------------------------------------------------------------------- bad input


def _bad_calls(url: str, tmp_path: Path) -> dict[str, tuple[type[Exception], str, object]]:
    a = ids(url, "alpha-s3")
    b = ids(url, "beta-s3")
    good = {"title": "Pilot line", "action_type": "pilot_testbed", "owner": a["Acme"]}
    malformed = tmp_path / "malformed.csv"
    malformed.write_text('name,actor_type,region\n"Acme GmbH,firm,AT31\nUni,university,AT31\n',
                         encoding="utf-8")
    wrong_fields = tmp_path / "fields.csv"
    wrong_fields.write_text("name,actor_type,region\nNew firm,firm,AT31\nBad,firm\n",
                            encoding="utf-8")
    partial = tmp_path / "partial.csv"
    partial.write_text(ACTORS_CSV + "Startup X,startup,AT31,C62,,5,founder team\n",
                       encoding="utf-8")
    dup_file = tmp_path / "dup.csv"
    dup_file.write_text(ACTORS_CSV + "acme  maschinen,firm,AT31,C28,,3,sales\n",
                        encoding="utf-8")
    return {
        "unknown actor type": (ActorValidationError, "actor type must be one of",
                               lambda s: svc.add_actor(s, "alpha-s3", {
                                   "name": "Startup", "actor_type": "startup",
                                   "region": "AT31"})),
        "unknown actor type in a file": (ActorValidationError, "startup",
                                         lambda s: svc.import_actors(s, "alpha-s3", partial)),
        "duplicate actor name in region": (ActorValidationError, "unique within a region",
                                           lambda s: svc.add_actor(s, "alpha-s3", {
                                               "name": " acme ", "actor_type": "firm",
                                               "region": "AT31"})),
        "duplicate actor name in a file": (ActorValidationError, "duplicate",
                                           lambda s: svc.import_actors(s, "alpha-s3",
                                                                       dup_file)),
        "duplicate name by update": (ActorValidationError, "unique within a region",
                                     lambda s: svc.update_actor(s, "alpha-s3", a["Uni"],
                                                                name="Acme")),
        "malformed CSV (unclosed quote)": (ActorValidationError, "malformed CSV",
                                           lambda s: svc.import_actors(s, "alpha-s3",
                                                                       malformed)),
        "malformed CSV (field count)": (ActorValidationError, "expected 3 fields",
                                        lambda s: svc.import_actors(s, "alpha-s3",
                                                                    wrong_fields)),
        "dates out of order": (ValueError, "dates out of order|before start",
                               lambda s: svc.add_action(s, "alpha-s3", {
                                   **good, "start": "2025-06-01", "end": "2025-01-31"})),
        "deadline before start": (ValueError, "before start",
                                  lambda s: svc.add_action(s, "alpha-s3", {
                                      **good, "start": "2025-06-01",
                                      "deadline": "2025-05-01"})),
        "not a date": (svc.StoreValidationError, "YYYY-MM-DD",
                       lambda s: svc.add_action(s, "alpha-s3", {**good, "start": "soon"})),
        "budget below zero": (ValueError, "below zero|negative",
                              lambda s: svc.add_action(s, "alpha-s3", {**good,
                                                                       "budget": -5})),
        "spent below zero by update": (ValueError, "below zero|negative",
                                       lambda s: svc.update_action(
                                           s, "alpha-s3", svc.add_action(s, "alpha-s3", good),
                                           spent=-1)),
        "unknown action type": (ValueError, "action type must be one of",
                                lambda s: svc.add_action(s, "alpha-s3", {
                                    **good, "action_type": "party"})),
        "owner from another workspace": (svc.CrossWorkspaceError, "another workspace",
                                         lambda s: svc.add_action(s, "alpha-s3", {
                                             **good, "owner": b["Acme"]})),
        "participant from another workspace": (svc.CrossWorkspaceError, "another workspace",
                                               lambda s: svc.add_action(s, "alpha-s3", {
                                                   **good, "participants": [a["Uni"],
                                                                            b["Uni"]]})),
        "TA of another workspace": (svc.CrossWorkspaceError, "another workspace",
                                    lambda s: svc.add_action(
                                        s, "alpha-s3", good,
                                        ta=svc.get_ta(s, "beta-s3", "C28").id)),
        "consortium member from another workspace": (
            svc.CrossWorkspaceError, "another workspace",
            lambda s: svc.record_consortium(s, "alpha-s3", "C28", [a["Acme"], b["Uni"]])),
        "update another workspace's action": (
            svc.CrossWorkspaceError, "another workspace",
            lambda s: svc.update_action(s, "beta-s3",
                                        svc.add_action(s, "alpha-s3", good).id,
                                        title="hijacked")),
        "unknown actor id": (svc.NotFoundError, "no actor",
                             lambda s: svc.add_action(s, "alpha-s3", {**good,
                                                                      "owner": 99999})),
        "duplicate workspace slug": (svc.ConflictError, "already exists",
                                     lambda s: svc.create_workspace(s, "Alpha S3",
                                                                    region="AT31")),
        "unknown region": (svc.StoreValidationError, "unknown NUTS",
                           lambda s: svc.create_workspace(s, "Nowhere", region="ZZ99")),
        "second home region": (svc.ConflictError, "home region",
                               lambda s: svc.add_region(s, "alpha-s3", "AT32", role="home")),
        "TA selected twice": (svc.ConflictError, "already a TA",
                              lambda s: svc.select_ta(s, "alpha-s3", "C28")),
        "funding: TRL out of order": (svc.StoreValidationError, "above trl_max",
                                      lambda s: svc.add_funding_instrument(s, "alpha-s3", {
                                          "key": "x", "name": "X", "scope": "EU",
                                          "trl_min": 7, "trl_max": 3})),
        "funding: unknown actor type": (svc.StoreValidationError, "unknown value",
                                        lambda s: svc.add_funding_instrument(s, "alpha-s3", {
                                            "key": "x", "name": "X", "scope": "EU",
                                            "eligible_actor_types": ["startup"]})),
        "funding: bad scope": (svc.StoreValidationError, "scope must be one of",
                               lambda s: svc.add_funding_instrument(s, "alpha-s3", {
                                   "key": "x", "name": "X", "scope": "global"})),
    }


def _case_names() -> list[str]:
    return ["unknown actor type", "unknown actor type in a file",
            "duplicate actor name in region", "duplicate actor name in a file",
            "duplicate name by update", "malformed CSV (unclosed quote)",
            "malformed CSV (field count)", "dates out of order", "deadline before start",
            "not a date", "budget below zero", "spent below zero by update",
            "unknown action type", "owner from another workspace",
            "participant from another workspace", "TA of another workspace",
            "consortium member from another workspace", "update another workspace's action",
            "unknown actor id", "duplicate workspace slug", "unknown region",
            "second home region", "TA selected twice", "funding: TRL out of order",
            "funding: unknown actor type", "funding: bad scope"]


@pytest.mark.parametrize("case", _case_names())
def test_bad_input_is_refused_and_the_store_unchanged(seeded, rows_of, tmp_path, case):
    calls = _bad_calls(seeded, tmp_path)
    assert set(calls) == set(_case_names())
    error, message, call = calls[case]
    before = rows_of(seeded)
    with pytest.raises(error, match=message), db.session_scope(seeded, user="mallory") as s:
        call(s)
    assert rows_of(seeded) == before


def test_composite_foreign_keys_reject_cross_workspace_rows(seeded):
    """Bypassing the services, the database itself refuses cross-workspace links."""
    a = ids(seeded, "alpha-s3")
    b = ids(seeded, "beta-s3")
    with db.session_scope(seeded) as s:
        action_id = svc.add_action(s, "alpha-s3", {"title": "x", "action_type":
                                                   "funding_search"}).id
        consortium_id = svc.record_consortium(s, "alpha-s3", None, [a["Acme"]]).id
        alpha_id = svc.get_workspace(s, "alpha-s3").id
    for row in (ActionParticipant(action_id=action_id, actor_id=b["Uni"],
                                  workspace_id=alpha_id),
                ConsortiumMember(consortium_id=consortium_id, actor_id=b["Uni"],
                                 workspace_id=alpha_id)):
        with pytest.raises(IntegrityError), db.session_scope(seeded) as s:
            s.add(row)
    with pytest.raises(IntegrityError), db.session_scope(seeded) as s:  # CHECK constraint
        s.get(ActorRecord, a["Acme"]).size = -1


def test_update_and_delete_workspace_cascades_and_keeps_the_history(seeded):
    a = ids(seeded, "alpha-s3")
    with db.session_scope(seeded, user="owner") as s:
        svc.add_action(s, "alpha-s3", {"title": "x", "action_type": "cluster_service",
                                       "participants": [a["Uni"]]}, ta="C28")
        svc.record_consortium(s, "alpha-s3", "C28", [a["Acme"]])
        svc.record_monitoring(s, "alpha-s3", "C28", "rca", kind="context", year=2015,
                              value=1.2)
        svc.update_workspace(s, "alpha-s3", name="Alpha 2030", data_version="v2")
        alpha_id = svc.get_workspace(s, "alpha-s3").id
    with db.session_scope(seeded, user="owner") as s:
        svc.delete_workspace(s, "alpha-s3")
    with db.session_scope(seeded) as s:
        assert [w.slug for w in svc.list_workspaces(s)] == ["beta-s3"]
        assert len(svc.list_actors(s, "beta-s3")) == 3  # the other workspace is untouched
        for model in (ActorRecord, ActionParticipant, ConsortiumMember):
            assert s.query(model).filter_by(workspace_id=alpha_id).count() == 0
        history = [e for e in svc.audit_entries(s, limit=None) if e.workspace_id == alpha_id]
        assert history[0].action == "delete" and history[0].table_name == "workspaces"
        assert history[0].before["name"] == "Alpha 2030"
        rename = next(e for e in history if e.action == "update" and
                      e.table_name == "workspaces")
        assert rename.before == {"name": "Alpha S3", "data_version": svc.default_data_version()}
