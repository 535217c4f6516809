"""Workspace export/import (JSON and ZIP): round trips, name clashes, all-or-nothing imports."""

from __future__ import annotations

import copy
import json
import zipfile

import pytest

from smartspec.store import db, exchange
from smartspec.store import services as svc


@pytest.fixture
def rich(store_url):
    """A workspace using every table, plus a second workspace that must not leak."""
    with db.session_scope(store_url, user="setup") as s:
        ws = svc.create_workspace(s, "Alpha S3", region="AT31", partners=["DE21", "AT32"],
                                  description="Upper Austria's S3 — «test»")
        other = svc.create_workspace(s, "Other", region="DE21")
        svc.add_actor(s, other, {"name": "Foreign", "actor_type": "firm", "region": "DE21"})
        actors = svc.import_actors(s, ws, [
            {"name": "Acme", "actor_type": "firm", "region": "AT31", "activities": ["C28"],
             "technologies": ["robotics", "laser"], "size": 250, "contact_role": "CTO office"},
            {"name": "Uni", "actor_type": "university", "region": "AT31", "fictional": True},
            {"name": "Bavaria Lab", "actor_type": "research_organisation", "region": "DE21"}])
        a = {r.name: r.id for r in actors}
        svc.select_ta(s, ws, "C28", candidate={"score": 0.8, "partners": ["DE21"],
                                               "mode": "modernisation"}, source="SBS 2015")
        svc.select_ta(s, ws, "C27", status="candidate")
        svc.add_action(s, ws, {"title": "Consortium", "action_type": "consortium_creation",
                               "owner": a["Uni"], "participants": [a["Acme"], a["Bavaria Lab"]],
                               "start": "2025-01-01", "end": "2025-12-31", "budget": 1e5,
                               "committed": 5e4, "regions": ["AT31", "DE21"],
                               "attachments": [{"name": "mou.pdf", "size": 2048,
                                                "media_type": "application/pdf",
                                                "uri": "https://example.org/mou.pdf"}],
                               "milestones": [{"title": "MoU signed", "due": "2025-03-01"}],
                               "indicators": ["members"], "rationale": "low critical mass",
                               "phase": 1, "lead_actor_type": "cluster_organisation"}, ta="C28")
        svc.add_action(s, ws, {"title": "Training", "action_type": "skills_training",
                               "position": 1}, ta="C28")
        svc.add_action(s, ws, {"title": "Workspace-wide", "action_type": "funding_search"})
        svc.record_consortium(s, ws, "C28", [a["Acme"], a["Uni"]], coverage=0.7,
                              parameters={"size": [2, 4], "helix": ["industry", "academia"]},
                              lead=a["Uni"], notes="first draft")
        svc.add_funding_instrument(s, ws, {"key": "regional-voucher", "name": "Voucher",
                                           "scope": "regional", "geographic_scope": ["AT31"],
                                           "cofunding_rate": 0.5, "trl_min": 3, "trl_max": 6,
                                           "eligible_actor_types": ["firm"]})
        svc.load_funding_catalogue(s, ws)
        svc.add_good_practice(s, {"key": "local-practice", "title": "Our practice",
                                  "tags": ["alps"]}, workspace=ws)
        svc.record_monitoring(s, ws, "C28", "rca", kind="context", year=2015, value=1.9,
                              unit="ratio", source="Eurostat")
        svc.record_monitoring(s, ws, "C28", "members", kind="output", year=2025, value=None,
                              note="not yet counted")
    return store_url


def _strip(doc: dict) -> dict:
    out = copy.deepcopy(doc)
    out.pop("exported_at")
    return out


def test_round_trip_json_into_a_fresh_store(rich, tmp_path):
    with db.session_scope(rich) as s:
        first = exchange.export_workspace(s, "alpha-s3", tmp_path / "alpha.json")
    doc = json.loads(first.read_text(encoding="utf-8"))
    assert doc["format"] == "smartspec-workspace" and doc["format_version"] == 1
    assert len(doc["actors"]) == 3 and "Foreign" not in first.read_text(encoding="utf-8")
    assert len(doc["funding_instruments"]) == 22

    fresh = db.database_url(tmp_path / "fresh.sqlite3")
    db.upgrade(fresh)
    with db.session_scope(fresh, user="importer") as s:
        ws = exchange.import_workspace(s, first)
        assert ws.slug == "alpha-s3"
    with db.session_scope(fresh) as s:
        again = exchange.workspace_document(s, "alpha-s3")
        assert {e.context for e in svc.audit_entries(s, "alpha-s3")} == {f"import {first}"}
    assert _strip(again) == _strip(doc)


def test_round_trip_zip_and_name_clash(rich, tmp_path, rows_of):
    with db.session_scope(rich) as s:
        path = exchange.export_workspace(s, "alpha-s3", tmp_path / "alpha.zip")
        doc = exchange.workspace_document(s, "alpha-s3")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["attachments.json", "workspace.json"]
        attachments = json.loads(archive.read("attachments.json"))
    assert attachments == [{"action": 1, "action_title": "Consortium", "name": "mou.pdf",
                            "size": 2048, "media_type": "application/pdf",
                            "uri": "https://example.org/mou.pdf"}]
    with db.session_scope(rich) as s:  # same store: the slug is taken, a new one is chosen
        assert exchange.import_workspace(s, path).slug == "alpha-s3-2"
        assert exchange.import_workspace(s, path, slug="copy").slug == "copy"
    with db.session_scope(rich) as s:
        copy_doc = exchange.workspace_document(s, "alpha-s3-2")
        assert len(svc.list_workspaces(s)) == 4
    assert _strip(copy_doc)["workspace"]["slug"] == "alpha-s3-2"
    copy_doc["workspace"]["slug"] = "alpha-s3"
    assert _strip(copy_doc) == _strip(doc)
    before = rows_of(rich)
    with pytest.raises(svc.ConflictError, match="already exists"), db.session_scope(rich) as s:
        exchange.import_workspace(s, path, on_conflict="error")
    assert rows_of(rich) == before


def test_audit_log_travels_only_on_request(rich, tmp_path):
    with db.session_scope(rich) as s:
        assert "audit_log" not in exchange.workspace_document(s, "alpha-s3")
        path = exchange.export_workspace(s, "alpha-s3", tmp_path / "backup.json",
                                         include_audit=True)
    n = len(json.loads(path.read_text(encoding="utf-8"))["audit_log"])
    assert n > 20
    with db.session_scope(rich) as s:
        ws = exchange.import_workspace(s, path, slug="restored")
        entries = svc.audit_entries(s, ws, limit=None)
        assert sum(e.context.startswith("[imported from") for e in entries) == n
        assert sum(e.who == "setup" for e in entries) == n


def _bad_documents(doc: dict) -> dict[str, tuple[dict, str]]:
    def changed(path: tuple, value):
        out = copy.deepcopy(doc)
        target = out
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return out

    return {
        "unknown actor type": (changed(("actors", 2, "actor_type"), "startup"),
                               r"actors\[2\] \('Bavaria Lab'\).*actor type"),
        "duplicate actor": (changed(("actors", 1, "name"), "Acme"),
                            r"actors\[1\].*unique within a region"),
        "dates out of order": (changed(("actions", 0, "end"), "2024-01-01"),
                               r"actions\[0\] \('Consortium'\).*before start"),
        "budget below zero": (changed(("actions", 1, "budget"), -10),
                              r"actions\[1\].*below zero"),
        "unknown owner ref": (changed(("actions", 0, "owner"), 99),
                              r"actions\[0\].*unknown actor ref 99"),
        "unknown TA ref": (changed(("monitoring_records", 0, "ta"), 7),
                           r"monitoring_records\[0\].*unknown TA ref 7"),
        "bad status": (changed(("tas", 0, "status"), "maybe"), r"tas\[0\].*status"),
        "bad instrument": (changed(("funding_instruments", 0, "trl_min"), 12),
                           r"funding_instruments\[0\].*trl_min"),
        "unknown field": (changed(("consortia", 0, "budget"), 5),
                          r"consortia\[0\].*unknown field"),
        "newer format": (changed(("format_version",), 99), "newer smartspec"),
        "not a workspace": (changed(("format",), "something-else"), "not a smartspec"),
    }


@pytest.mark.parametrize("case", ["unknown actor type", "duplicate actor", "dates out of order",
                                  "budget below zero", "unknown owner ref", "unknown TA ref",
                                  "bad status", "bad instrument", "unknown field",
                                  "newer format", "not a workspace"])
def test_a_failing_import_leaves_the_store_unchanged(rich, tmp_path, rows_of, case):
    with db.session_scope(rich) as s:
        doc = exchange.workspace_document(s, "alpha-s3")
    bad, message = _bad_documents(doc)[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    before = rows_of(rich)
    with pytest.raises(exchange.ExchangeError, match="(?s)" + message), \
            db.session_scope(rich) as s:
        exchange.import_workspace(s, path)
    assert rows_of(rich) == before


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "invalid JSON at line 1"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"PK\x03\x04broken", "damaged ZIP"),
])
def test_unreadable_files_are_refused(tmp_path, content, message):
    path = tmp_path / "file.json"
    path.write_bytes(content)
    with pytest.raises(exchange.ExchangeError, match=message):
        exchange.read_document(path)
    empty_zip = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("other.txt", "x")
    with pytest.raises(exchange.ExchangeError, match="no workspace.json"):
        exchange.read_document(empty_zip)
