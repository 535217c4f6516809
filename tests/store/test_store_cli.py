"""The store's commands (workspace, actors, strategy, actions) through Typer's CliRunner."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from smartspec.store import db
from smartspec.store import services as svc
from smartspec.store._cli import register

ACTORS_CSV = """name,actor_type,region,activities,size,contact_role
Acme Maschinen,firm,AT31,C28,250,innovation manager
JKU Linz,university,AT31,P85,,technology transfer office
Land OÖ,public_authority,AT31,O84,,economic policy unit
"""


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    return app


@pytest.fixture
def run(app, tmp_path, monkeypatch):
    """``run(*args)`` -> result, on a fresh SQLite store in tmp_path (via SMARTSPEC_DATABASE_URL)."""
    url = db.database_url(tmp_path / "cli.sqlite3")
    monkeypatch.setenv("SMARTSPEC_DATABASE_URL", url)
    monkeypatch.setenv("SMARTSPEC_USER", "cli-tester")
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    invoke.url = url
    yield invoke
    db.dispose_engines()


def test_workspace_init_list_export_import(run, tmp_path):
    result = run("workspace", "init", "Upper Austria S3", "--region", "AT31",
                 "--partner", "DE21")
    assert result.exit_code == 0, result.output
    assert "upper-austria-s3" in result.output
    (tmp_path / "actors.csv").write_text(ACTORS_CSV, encoding="utf-8")
    result = run("actors", "import", "upper-austria-s3", str(tmp_path / "actors.csv"))
    assert result.exit_code == 0 and "Imported 3 actors" in result.output
    result = run("workspace", "list")
    assert result.exit_code == 0 and "upper-austria-s3" in result.output
    assert "AT31*" in result.output
    result = run("workspace", "export", "upper-austria-s3", "--out", "ua.zip")
    assert result.exit_code == 0, result.output
    result = run("workspace", "import", "ua.zip")
    assert result.exit_code == 0 and "upper-austria-s3-2" in result.output
    result = run("workspace", "export", "upper-austria-s3-2", "--out", "copy.json")
    doc = json.loads((tmp_path / "copy.json").read_text(encoding="utf-8"))
    assert [a["name"] for a in doc["actors"]] == ["Acme Maschinen", "JKU Linz", "Land OÖ"]
    with db.session_scope(run.url) as s:
        assert {e.who for e in svc.audit_entries(s, limit=None)} == {"cli-tester"}


def test_strategy_and_actions(run, tmp_path):
    assert run("workspace", "init", "UA", "--region", "AT31").exit_code == 0
    (tmp_path / "actors.csv").write_text(ACTORS_CSV, encoding="utf-8")
    assert run("actors", "import", "ua", "actors.csv").exit_code == 0
    result = run("strategy", "ua", "C28", "--out", "docs")
    assert result.exit_code == 0, result.output
    assert "Drafted and wrote" in result.output
    html = (tmp_path / "docs" / "strategy-ua-C28.html").read_text(encoding="utf-8")
    assert "Development strategy: C28" in html and "Why:" in html
    with db.session_scope(run.url) as s:
        ta = svc.get_ta(s, "ua", "C28")
        assert ta.evidence_snapshot["candidate"]["activity"] == "C28"
        assert "critical_mass" in ta.evidence_snapshot
        actions = svc.list_actions(s, "ua", ta="C28")
        assert len(actions) >= 3 and all(a.rationale for a in actions)
        first = actions[0].id
    result = run("strategy", "ua", "C28", "--out", "docs")  # second run: no new draft
    assert result.exit_code == 0 and "Drafted" not in result.output
    result = run("actions", "list", "ua", "--ta", "C28")
    assert result.exit_code == 0 and "planned" in result.output
    result = run("actions", "update", "ua", str(first), "--status", "in_progress",
                 "--budget", "50000", "--committed", "10000")
    assert result.exit_code == 0, result.output
    assert "status in_progress" in result.output
    with db.session_scope(run.url) as s:
        action = svc.get_action(s, "ua", first)
        assert action.status == "in_progress" and action.budget == 50000
        n_actions = len(svc.list_actions(s, "ua"))
    result = run("strategy", "ua", "C28", "--redraft")
    assert result.exit_code == 1 and "no longer planned" in result.output
    with db.session_scope(run.url) as s:
        assert len(svc.list_actions(s, "ua")) == n_actions


@pytest.mark.parametrize(("args", "code", "message"), [
    (("workspace", "init", "X", "--region", "ZZ99"), 1, "unknown NUTS 2021 region"),
    (("workspace", "export", "nope", "--out", "x.json"), 1, "no workspace 'nope'"),
    (("workspace", "export", "ua", "--out", "x.txt"), 2, "must end in .json or .zip"),
    (("workspace", "import", "missing.json"), 1, "file not found"),
    (("actors", "import", "ua", "bad.csv"), 1, "malformed CSV"),
    (("actors", "import", "ua", "startup.csv"), 1, "actor type must be one of"),
    (("actors", "import", "ua", "dup.csv"), 1, "unique within a region"),
    (("actions", "update", "ua", "1", "--budget", "-3"), 1, "below zero"),
    (("actions", "update", "ua", "1", "--start", "2030-01-01", "--end", "2029-01-01"), 1,
     "before start"),
    (("actions", "update", "ua", "1", "--status", "done"), 1, "cannot change"),
    (("actions", "update", "ua", "1", "--owner", "999"), 1, "no actor 999"),
    (("actions", "update", "ua", "1", "--owner", "4"), 1, "another workspace"),
    (("actions", "update", "ua", "1"), 2, "nothing to change"),
    (("actions", "update", "ua", "1", "--participants", "1,x"), 2, "actor ids"),
    (("strategy", "ua", "Q99"), 1, "not a candidate TA"),
])
def test_bad_input_exits_with_a_message_and_changes_nothing(run, tmp_path, rows_of, args,
                                                             code, message):
    assert run("workspace", "init", "UA", "--region", "AT31").exit_code == 0
    assert run("workspace", "init", "Other", "--region", "DE21").exit_code == 0
    (tmp_path / "actors.csv").write_text(ACTORS_CSV, encoding="utf-8")
    assert run("actors", "import", "ua", "actors.csv").exit_code == 0
    with db.session_scope(run.url) as s:
        svc.add_actor(s, "other", {"name": "Foreign", "actor_type": "firm", "region": "DE21"})
        svc.select_ta(s, "ua", "C28")
        svc.add_action(s, "ua", {"title": "Plan", "action_type": "funding_search",
                                 "status": "planned"}, ta="C28")
    (tmp_path / "bad.csv").write_text('name,actor_type,region\n"Open,firm,AT31\n',
                                      encoding="utf-8")
    (tmp_path / "startup.csv").write_text("name,actor_type,region\nNew,startup,AT31\n",
                                          encoding="utf-8")
    (tmp_path / "dup.csv").write_text("name,actor_type,region\nNew,firm,AT31\n"
                                      "Acme Maschinen,firm,AT31\n", encoding="utf-8")
    before = rows_of(run.url)
    result = run(*args)
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())
    assert rows_of(run.url) == before


def test_init_with_demo_and_pdf(run, tmp_path):
    result = run("workspace", "init", "Demo UA", "--region", "AT31", "--demo")
    assert result.exit_code == 0, result.output
    assert "demo: TAs" in result.output
    with db.session_scope(run.url) as s:
        (ta, *_) = svc.list_tas(s, "demo-ua")
        assert svc.list_actions(s, "demo-ua", ta=ta) and svc.list_consortia(s, "demo-ua")
    from smartspec.reports.pdf import find_chromium

    result = run("strategy", "demo-ua", ta.activity, "--out", "out", "--pdf")
    if find_chromium() is None:
        assert result.exit_code == 1 and "PDF not written" in result.output
    else:
        assert result.exit_code == 0, result.output
        pdf = tmp_path / "out" / f"strategy-demo-ua-{ta.activity}.pdf"
        assert pdf.read_bytes()[:5] == b"%PDF-"
