"""The evaluation report, the monitoring CLI and the demo's monitoring data."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
import typer
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartspec.monitoring._cli import register
from smartspec.reports.monitoring_report import (
    build_monitoring_report,
    compare_with_snapshot,
    write_monitoring_report,
)
from smartspec.store import db
from smartspec.store import monitoring_services as ms
from smartspec.store import services as svc
from smartspec.store.models import AuditLog

TODAY = dt.date(2026, 6, 30)
LABEL = "Metal <b>products</b> & more"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    return app


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    """A SQLite store with workspace 'alpine' (AT31): TA C25 (label with markup), a consortium,
    actions, five data years, a plan, targets, observations and two self-assessments."""
    from smartspec import datasets

    url = db.database_url(tmp_path_factory.mktemp("monitoring") / "store.sqlite3")
    db.upgrade(url)
    panel = datasets.regional_employment(level=2, activities=(*datasets.REGIONAL_A10, "C"))
    with db.session_scope(url, user="setup") as s:
        ws = svc.create_workspace(s, "Alpine S3", region="AT31", slug="alpine")
        svc.import_actors(s, ws, [
            {"name": "Acme", "actor_type": "firm", "region": "AT31"},
            {"name": "Uni", "actor_type": "university", "region": "AT31"},
        ])
        svc.select_ta(s, ws, "C25", label=LABEL, candidate={"rank": 1},
                      extra={"critical_mass": {"ratio": 0.7, "year": 2015},
                             "discovery": {"year": 2015}})
        ids = [a.id for a in svc.list_actors(s, ws)]
        svc.record_consortium(s, ws, "C25", ids, name="core")
        svc.add_action(s, ws, {"title": "Form the <consortium>", "action_type":
                               "consortium_creation", "ta": "C25", "owner": ids[0],
                               "committed": 50000.0, "start": "2025-01-01",
                               "end": "2025-12-31"})
        ms.ensure_standard_indicators(s, ws)
        ms.set_plan(s, ws, "C25", critical_mass_due="2028-12-31", top_k=10)
        ms.import_panel(s, ws, panel, years=[2013, 2014, 2015, 2016, 2017])
        ms.update_indicator(s, ws, "C25", "budget_committed", baseline_value=0,
                            baseline_year=2024, target_value=400000, target_year=2028)
        ms.record_observation(s, ws, "C25", "budget_committed", 2026, 50000, max_year=2026,
                              note=ms.DEMO_NOTE)
        for day, shift in (("2025-03-01", 0), ("2026-03-01", 1)):
            ms.record_self_assessment(s, ws, [
                {"participant": p, "factor": f, "score": min(5, base + shift)}
                for p, base in (("P1", 2), ("P2", 3)) for f in ("s1_assets", "s5_plan",
                                                                 "s6_data")],
                assessed_on=day)
    return url


def test_report_content(store, tmp_path):
    with db.session_scope(store) as s:
        paths = write_monitoring_report(s, "alpine", tmp_path, as_of=2026, today=TODAY)
    html = paths["html"].read_text(encoding="utf-8")
    for section in ("dashboard", "doing-it-right", "right-things", "changes",
                    "self-assessment", "rules"):
        assert f'<section id="{section}">' in html
    assert "Are we doing it right? (monitoring)" in html
    assert "Are we doing the right things? (evaluation)" in html
    # the verdict: budget 50,000 in 2026 against 200,000 on the path (25 %) -> red
    assert re.search(r'<span class="light red">red</span>', html)
    assert "Budget committed: 50,000 in 2026 against 200,000 on the path" in html
    assert "still selected: rank" in html  # the discovery was re-run
    assert "DEMO ENTRIES" in html
    # escaped text, Plotly inlined once, nothing fetched
    assert "Metal &lt;b&gt;products&lt;/b&gt; &amp; more" in html
    assert "<b>products</b>" not in html and "Form the &lt;consortium&gt;" in html
    assert html.count('<script type="text/javascript">') == 1
    assert "<script src=" not in html and 'rel="stylesheet" href="http' not in html
    assert html.count("<div class=\"chart\">") == 4  # findings, outputs, context, spider
    assert "This is the first report of the workspace" in html
    # tables for the managing authority
    dash = pd.read_csv(paths["dashboard_csv"])
    assert dash.loc[0, "status"] == "red" and dash.loc[0, "TA"].startswith("C25 Metal")
    reasons = pd.read_csv(paths["reasons_csv"])
    assert {"rca_below_one", "density_falling", "output_behind_target"} <= set(reasons["rule"])
    assert set(load_workbook(paths["xlsx"], read_only=True).sheetnames) >= {
        "about", "dashboard", "reasons", "indicators", "observations", "actions", "changes",
        "self_assessment"}
    steps = pd.read_csv(paths["self_assessment_csv"])
    assert steps.groupby("assessed_on")["mean"].max().tolist() == [2.5, 3.5]


def test_second_report_shows_the_change(store, tmp_path):
    with db.session_scope(store) as s:
        write_monitoring_report(s, "alpine", tmp_path / "a", as_of=2026, today=TODAY,
                                discovery=False)
        ms.record_observation(s, "alpine", "C25", "budget_committed", 2026, 210000,
                              max_year=2026)
        ms.import_data_year(s, "alpine", _panel(), 2012)
        report = build_monitoring_report(s, "alpine", as_of=2026, today=TODAY,
                                         discovery=False)
        paths = write_monitoring_report(s, "alpine", tmp_path / "b", as_of=2026, today=TODAY,
                                        discovery=False)
        assert len(ms.list_report_snapshots(s, "alpine")) >= 2
    change = report.tables["changes"].set_index("ta")
    assert change.at["C25", "before"] == "red" and change.at["C25", "now"] == "amber"
    assert change.at["C25", "values changed"] >= 1
    html = paths["html"].read_text(encoding="utf-8")
    assert "Compared with the report of" in html and "New data years since: 2012" in html


def _panel():
    from smartspec import datasets

    return datasets.regional_employment(level=2, activities=(*datasets.REGIONAL_A10, "C"))


def test_compare_with_snapshot_lists_new_and_resolved_problems():
    before = {"tas": {"C25": {"status": "amber", "rank": 3, "latest": {"rca": [2016, 1.2]},
                              "problems": [{"rule": "helix_lost", "status": "amber",
                                            "message": "lost academia"}]},
                      "C10": {"status": "green", "rank": 9, "latest": {}, "problems": []}}}
    now = {"tas": {"C25": {"status": "red", "rank": 12, "latest": {"rca": [2017, 0.9]},
                           "problems": [{"rule": "rca_below_one", "status": "red",
                                         "message": "RCA 0.90"}]}}}
    table = compare_with_snapshot(now, before).set_index("ta")
    assert table.loc["C25"].tolist() == ["amber", "red", 3, 12, "rca_below_one: RCA 0.90",
                                         "helix_lost", 1]
    assert table.at["C10", "now"] == "(dropped)"
    assert compare_with_snapshot(now, None).empty


def test_pdf_report(store, tmp_path):
    from smartspec.reports.pdf import find_chromium

    if find_chromium() is None:
        pytest.skip("CHROMIUM UNAVAILABLE: the monitoring PDF was not tested")
    with db.session_scope(store) as s:
        paths = write_monitoring_report(s, "alpine", tmp_path, as_of=2026, today=TODAY,
                                        discovery=False, pdf=True, snapshot=False)
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"


# ------------------------------------------------------------------------------------- CLI
def test_monitor_command_by_region_and_slug(store, tmp_path):
    runner = CliRunner()
    res = runner.invoke(_app(), ["monitor", "at31", "--db", store, "--out", str(tmp_path),
                                 "--as-of", "2026", "--no-snapshot"])
    assert res.exit_code == 0, res.output
    assert "alpine — monitoring and evaluation" in res.output
    assert (tmp_path / "alpine_monitoring.html").is_file()
    res = runner.invoke(_app(), ["monitor", "alpine", "--db", store, "--out", str(tmp_path),
                                 "--no-snapshot"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(_app(), ["monitor", "DE21", "--db", store, "--out", str(tmp_path)])
    assert res.exit_code == 1 and "no workspace for region DE21" in res.output
    res = runner.invoke(_app(), ["monitor", "nowhere", "--db", store, "--out", str(tmp_path)])
    assert res.exit_code == 1 and "no workspace 'nowhere' (workspaces: alpine)" in res.output


def test_cli_records_observations_data_and_assessments(store, tmp_path):
    runner = CliRunner()
    good = tmp_path / "obs.csv"
    good.write_text("indicator,year,value\nnew_firms,2024,3\npatents,2024,1\n")
    res = runner.invoke(_app(), ["monitor-observations", "alpine", str(good), "--ta", "C25",
                                 "--db", store])
    assert res.exit_code == 0, res.output
    assert "2 observations created, 0 updated, 0 unchanged." in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,year,value\nnew_firms,2024,lots\n")
    res = runner.invoke(_app(), ["monitor-observations", "alpine", str(bad), "--ta", "C25",
                                 "--db", store])
    assert res.exit_code == 1 and "value must be a number, got 'lots'" in res.output
    res = runner.invoke(_app(), ["monitor-data", "alpine", "--years", "2016-2017",
                                 "--db", store])
    assert res.exit_code == 0, res.output
    assert "2 data years: 0 new, 0 updated, 2 unchanged" in res.output
    res = runner.invoke(_app(), ["monitor-data", "alpine", "--years", "2030", "--db", store])
    assert res.exit_code == 1 and "years [2030] are not in the data" in res.output
    scores = tmp_path / "scores.csv"
    scores.write_text("participant,s1_assets,s4_focus\nP1,3,4\nP2,5,2\n")
    res = runner.invoke(_app(), ["self-assessment", "alpine", str(scores), "--date",
                                 "2026-05-01", "--label", "cli", "--db", store])
    assert res.exit_code == 0, res.output
    assert "step 1 Analysis of the regional context" in res.output and "4.00" in res.output
    with db.session_scope(store) as s:
        assert any(a.label == "cli" for a in ms.list_self_assessments(s, "alpine"))


# ------------------------------------------------------------------------------------ demo
def test_demo_workspace_has_monitoring_and_a_computed_verdict(tmp_path):
    from smartspec.store.demo import seed_demo

    url = db.database_url(tmp_path / "demo.sqlite3")
    seed_demo(url)
    with db.session_scope(url) as s:
        obs = ms.observations_frame(s, "demo-at31")
        ta = obs["ta"].iloc[0]
        rca = obs[(obs["ta"] == ta) & (obs["indicator"] == "rca")]
        assert len(rca) >= 10 and (rca["origin"] == "computed").all()
        demo = obs[obs["note"] == ms.DEMO_NOTE]
        assert len(demo) > 0 and set(demo["kind"]) <= {"output", "result"}
        assert not (obs[obs["kind"] == "context"]["note"] == ms.DEMO_NOTE).any()
        assert len(ms.list_self_assessments(s, "demo-at31")) == 2
        verdicts = ms.check_workspace(s, "demo-at31", as_of=2026, today=TODAY)
        audit = s.scalar(select(func.count()).select_from(AuditLog))
        rows = len(obs)
    assert verdicts and all(v.status in ("green", "amber", "red") for v in verdicts.values())
    assert all(any(r.rule == "rca_below_one" and r.status != "unknown" for r in v.reasons)
               for v in verdicts.values())
    seed_demo(url)  # idempotent
    with db.session_scope(url) as s:
        assert len(ms.observations_frame(s, "demo-at31")) == rows
        assert s.scalar(select(func.count()).select_from(AuditLog)) == audit


def test_written_files_are_listed(store, tmp_path):
    with db.session_scope(store) as s:
        paths = write_monitoring_report(s, "alpine", tmp_path, stem="ma", snapshot=False,
                                        discovery=False, today=TODAY)
    assert all(Path(p).is_file() for p in paths.values())
    assert {p.name for p in paths.values()} >= {"ma.html", "ma.xlsx", "ma_dashboard.csv",
                                                 "ma_observations.csv"}
