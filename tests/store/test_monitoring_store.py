"""Monitoring in the workspace store (SQLite and PostgreSQL): indicators, observations, data
years and recomputation, plans, checks, self-assessments, export/import, migration 0003."""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
import pytest
from sqlalchemy import MetaData, Table, func, inspect, select

from smartspec.monitoring import ObservationError
from smartspec.store import db, exchange
from smartspec.store import monitoring_services as ms
from smartspec.store import services as svc
from smartspec.store.models import AuditLog, MonitoringRecord
from smartspec.store.models_monitoring import DataYearRecord, IndicatorRecord

TODAY = dt.date(2026, 6, 30)


@functools.cache
def _employment():
    from smartspec import datasets

    return datasets.regional_employment(level=2, activities=(*datasets.REGIONAL_A10, "C"))


def _build(url: str) -> None:
    """Workspace 'alpine' (AT31): TA C25 with a consortium of three helices and two actions."""
    with db.session_scope(url, user="setup") as s:
        ws = svc.create_workspace(s, "Alpine S3", region="AT31", slug="alpine")
        svc.import_actors(s, ws, [
            {"name": "Acme", "actor_type": "firm", "region": "AT31", "activities": ["C25"]},
            {"name": "Uni", "actor_type": "university", "region": "AT31"},
            {"name": "Agency", "actor_type": "public_authority", "region": "AT31"},
        ])
        svc.select_ta(s, ws, "C25", candidate={"score": 0.8, "rank": 1},
                      extra={"critical_mass": {"ratio": 0.7, "year": 2015},
                             "discovery": {"year": 2015}})
        ids = {a.name: a.id for a in svc.list_actors(s, ws)}
        svc.record_consortium(s, ws, "C25", list(ids.values()), name="core")
        svc.add_action(s, ws, {"title": "Form the consortium", "action_type":
                               "consortium_creation", "ta": "C25", "owner": ids["Acme"],
                               "participants": [ids["Uni"]], "committed": 100000.0,
                               "spent": 40000.0, "start": "2025-01-01", "end": "2025-12-31"})
        action = svc.add_action(s, ws, {"title": "Joint R&D", "action_type":
                                        "collaborative_rnd", "ta": "C25",
                                        "owner": ids["Uni"], "start": "2026-01-01",
                                        "end": "2028-12-31"})
        svc.update_action(s, ws, action.id, status="in_progress")
        ms.ensure_standard_indicators(s, ws)


@pytest.fixture
def alpine(store_url):
    _build(store_url)
    return store_url


def _audit_count(url: str) -> int:
    with db.session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(AuditLog))


# ------------------------------------------------------------------------------- indicators
def test_standard_indicators_are_created_once(alpine):
    with db.session_scope(alpine) as s:
        inds = {r.key: r for r in ms.list_indicators(s, "alpine", ta="C25")}
        assert len(inds) == 16
        assert [r.kind for r in ms.list_indicators(s, "alpine")][:5] == ["context"] * 5
        assert ms.ensure_standard_indicators(s, "alpine") == []  # idempotent
        mass = inds["critical_mass_ratio"]
        assert (mass.baseline_value, mass.baseline_year) == (0.7, 2015)
        obs = ms.observations_frame(s, "alpine")
        assert obs[["indicator", "year", "value", "origin"]].values.tolist() == [
            ["critical_mass_ratio", 2015, 0.7, "computed"]]
        ms.update_indicator(s, "alpine", "C25", "new_firms", baseline_value=2,
                            baseline_year=2024, target_value=10, target_year=2028)
        ind = ms.indicator_to_domain(ms._get_indicator(s, svc.get_workspace(s, "alpine"),
                                                       svc.get_ta(s, "alpine", "C25"),
                                                       "new_firms"))
        assert ind.expected(2026) == pytest.approx(6.0)
        with pytest.raises(ms.MonitoringError, match="must be before the target year"):
            ms.update_indicator(s, "alpine", "C25", "new_firms", target_year=2020)
        with pytest.raises(svc.ConflictError, match="already has an indicator 'patents'"):
            ms.define_indicator(s, "alpine", "C25", {"key": "patents", "kind": "result",
                                                     "name": "Patents"})
        custom = ms.define_indicator(s, "alpine", "C25", {
            "key": "testbed_users", "kind": "output", "name": "Firms using the test-bed",
            "unit": "count", "baseline_value": 0, "baseline_year": 2025,
            "target_value": 30, "target_year": 2029})
        assert custom.id is not None and custom.unit == "count"


# ---------------------------------------------------------------------------- observations
def test_form_observations_are_stored_and_bad_ones_refused(alpine, rows_of):
    with db.session_scope(alpine, user="ana") as s:
        rec = ms.record_observation(s, "alpine", "C25", "new_firms", "2025", "3",
                                    note="survey", max_year=2026)
        assert (rec.value, rec.unit, rec.origin, rec.indicator_id is not None) == (
            3.0, "count", "form", True)
        ms.record_observation(s, "alpine", "C25", "new_firms", 2025, 4, max_year=2026)
        with pytest.raises(svc.ConflictError, match="already has a value for 2025"):
            ms.record_observation(s, "alpine", "C25", "new_firms", 2025, 5, replace=False,
                                  max_year=2026)
    before = rows_of(alpine)
    bad = [
        (("new_firms", 2025, "several"), {}, "value must be a number, got 'several'"),
        (("new_firms", 2031, 4), {"max_year": 2026}, "year 2031 is out of range"),
        (("new_frims", 2025, 4), {}, "unknown indicator 'new_frims'"),
        (("cofunding_leveraged", 2025, 4), {"unit": "persons"},
         "unit 'persons' does not match the indicator's unit 'EUR'"),
        (("rca", 2017, 1.2), {}, "computed from the evidence data"),
    ]
    for args, kwargs, message in bad:
        with db.session_scope(alpine) as s:
            with pytest.raises(ObservationError, match=message):
                ms.record_observation(s, "alpine", "C25", *args, **kwargs)
    assert rows_of(alpine) == before
    with db.session_scope(alpine) as s:
        obs = ms.observations_frame(s, "alpine", ta="C25")
        assert obs.loc[obs["indicator"] == "new_firms", "value"].tolist() == [4.0]


def test_csv_import_is_all_or_nothing(alpine, tmp_path, rows_of):
    good = tmp_path / "obs.csv"
    good.write_text("indicator,year,value,unit,note,ta\nnew_firms,2024,2,count,,C25\n"
                    "cofunding_leveraged,2025,50000,EUR,from the MA,C25\n", encoding="utf-8")
    with db.session_scope(alpine) as s:
        result = ms.import_observations_csv(s, "alpine", good, max_year=2026)
        assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
        again = ms.import_observations_csv(s, "alpine", good, max_year=2026)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    before = rows_of(alpine)
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,year,value,unit\nnew_firms,2025,3,\nnew_firms,2025,x,\n"
                   "mystery,2025,1,\npatents,1890,1,\nnew_firms,2026,1,EUR\n", encoding="utf-8")
    with db.session_scope(alpine) as s:
        with pytest.raises(ObservationError) as info:
            ms.import_observations_csv(s, "alpine", bad, ta="C25", max_year=2026)
    text = str(info.value)
    assert "4 row(s) refused, nothing imported" in text
    assert f"{bad}, row 3: TA C25: indicator 'new_firms' (2025): value must be a number" in text
    assert "row 4: TA C25: unknown indicator 'mystery'" in text
    assert "row 5: TA C25: indicator 'patents': year 1890 is out of range" in text
    assert "row 6: TA C25: indicator 'new_firms' (2026): unit 'EUR' does not match" in text
    assert rows_of(alpine) == before  # the valid row 2 was not stored either


# ------------------------------------------------------------------------- data and context
def test_importing_data_years_recomputes_the_context(alpine):
    panel = _employment()
    with db.session_scope(alpine) as s:
        first = ms.import_panel(s, "alpine", panel, years=[2014, 2015])
        assert [i.status for i in first] == ["created", "created"]
        obs = ms.observations_frame(s, "alpine", ta="C25")
        ctx = obs[obs["kind"] == "context"]
        assert sorted(ctx["year"].unique()) == [2014, 2015]
        assert set(ctx["indicator"]) == {"rca", "employment", "density", "eci", "global_growth"}
        assert ctx[ctx["indicator"] == "global_growth"]["year"].tolist() == [2015]
        assert (ctx["origin"] == "computed").all() and ctx["data_version"].notna().all()
        rca = ms._get_indicator(s, svc.get_workspace(s, "alpine"),
                                svc.get_ta(s, "alpine", "C25"), "rca")
        assert rca.parameters["code"] == "C" and rca.baseline_year == 2015
    # new data arrive: 2016 adds a year of every context indicator
    with db.session_scope(alpine) as s:
        new = ms.import_data_year(s, "alpine", panel, 2016)
        assert new.status == "created" and new.context_changes >= 5
        obs = ms.observations_frame(s, "alpine", ta="C25")
        emp = obs[obs["indicator"] == "employment"].set_index("year")["value"]
        assert emp.to_dict() == {2014: 168500.0, 2015: 169800.0, 2016: 170800.0}


def test_importing_the_same_year_twice_changes_nothing(alpine, rows_of):
    panel = _employment()
    with db.session_scope(alpine) as s:
        ms.import_panel(s, "alpine", panel, years=[2015, 2016])
    before, audit = rows_of(alpine), _audit_count(alpine)
    with db.session_scope(alpine) as s:
        again = ms.import_data_year(s, "alpine", panel, 2016)
        assert again.status == "unchanged" and again.context_changes == 0
        assert [i.status for i in ms.import_panel(s, "alpine", panel, years=[2015, 2016])] == [
            "unchanged", "unchanged"]
        assert ms.recompute_context(s, "alpine") == 0
    assert rows_of(alpine) == before and _audit_count(alpine) == audit
    # revised figures for a stored year replace it and recompute
    revised = panel.matrix(2016).copy()
    revised.loc["AT31", "C"] += 1000.0
    revised.loc["AT31", "B-E"] += 1000.0
    with db.session_scope(alpine) as s:
        out = ms.import_data_year(s, "alpine", revised, 2016)
        assert out.status == "updated" and out.context_changes > 0
        emp = ms.observations_frame(s, "alpine").query("indicator == 'employment'")
        assert emp.set_index("year").at[2016, "value"] == 171800.0


def test_a_failing_import_leaves_nothing(alpine, rows_of, monkeypatch):
    panel = _employment()
    before = rows_of(alpine)
    negative = panel.matrix(2016).copy()
    negative.iloc[0, 0] = -5.0
    with db.session_scope(alpine) as s:
        with pytest.raises(ms.MonitoringError, match="negative values"):
            ms.import_data_year(s, "alpine", negative, 2016)
    assert rows_of(alpine) == before
    # a failure while recomputing (after the year was written) rolls the year back too
    import smartspec.monitoring.context as context

    def broken(*args, **kwargs):
        raise ValueError("disk on fire")

    monkeypatch.setattr(context, "context_series", broken)
    with db.session_scope(alpine) as s:
        with pytest.raises(ms.MonitoringError, match="TA C25: disk on fire"):
            ms.import_panel(s, "alpine", panel, years=[2015, 2016])
        assert s.scalar(select(func.count()).select_from(DataYearRecord)) == 0
    assert rows_of(alpine) == before
    with db.session_scope(alpine) as s:
        with pytest.raises(ms.MonitoringError, match="year 2031 is not in the data"):
            ms.import_data_year(s, "alpine", panel, 2031)
    assert rows_of(alpine) == before


def test_outputs_are_derived_from_the_store(alpine):
    with db.session_scope(alpine) as s:
        ms.record_observation(s, "alpine", "C25", "partners_engaged", 2026, 12, max_year=2026)
        assert ms.recompute_outputs(s, "alpine", year=2026) == 5
        obs = ms.observations_frame(s, "alpine").query("kind == 'output' and year == 2026")
        values = obs.set_index("indicator")["value"].to_dict()
        assert values == {"actions_completed": 0.0, "budget_committed": 100000.0,
                          "budget_spent": 40000.0, "consortium_size": 3.0,
                          "partners_engaged": 12.0, "projects_funded": 1.0}
        # the hand-recorded value won; recomputing changes nothing
        assert ms.recompute_outputs(s, "alpine", year=2026) == 0


# ------------------------------------------------------------------------- plan and check
def test_plan_and_store_level_check(alpine):
    with db.session_scope(alpine) as s:
        plan = ms.set_plan(s, "alpine", "C25", critical_mass_due="2025-12-31", top_k=5)
        assert plan.helix_baseline == ["academia", "government", "industry"]
        with pytest.raises(ms.MonitoringError, match="unknown rule 'speed'"):
            ms.set_plan(s, "alpine", "C25", rules={"speed": {}})
        with pytest.raises(ms.MonitoringError, match="unknown helix type"):
            ms.set_plan(s, "alpine", "C25", helix_baseline=["industry", "media"])
        ms.import_panel(s, "alpine", _employment(), years=[2013, 2014, 2015, 2016, 2017])
        ms.update_indicator(s, "alpine", "C25", "budget_committed", baseline_value=0,
                            baseline_year=2024, target_value=200000, target_year=2028)
        ms.recompute_outputs(s, "alpine", year=2026)
        res = ms.check_ta(s, "alpine", "C25", as_of=2026, discovery=False, today=TODAY)
    by_rule = {r.rule: r for r in res.reasons}
    assert by_rule["rca_below_one"].status == "green"
    assert by_rule["critical_mass_late"].status == "red"  # 0.7 in 2015, due end of 2025
    assert by_rule["helix_lost"].status == "green"
    assert [r.status for r in res.reasons if r.rule == "output_behind_target"] == ["green"]
    assert res.status == "red"
    # a member leaves: the consortium loses its government helix
    with db.session_scope(alpine) as s:
        ids = {a.name: a.id for a in svc.list_actors(s, "alpine")}
        svc.record_consortium(s, "alpine", "C25", [ids["Acme"], ids["Uni"]], name="smaller")
        ms.set_plan(s, "alpine", "C25", rules={"critical_mass_late": False})
        res = ms.check_ta(s, "alpine", "C25", as_of=2026, discovery=False, today=TODAY)
    assert {r.rule: r.status for r in res.reasons}["helix_lost"] == "amber"
    assert "critical_mass_late" not in {r.rule for r in res.reasons}


def test_discovery_is_rerun_on_the_stored_years(alpine):
    with db.session_scope(alpine) as s:
        run, notes = ms.rerun_discovery(s, "alpine", as_of=2026)
        assert run is None and "no data year" in notes[0]
        ms.import_panel(s, "alpine", _employment(), years=[2012, 2013, 2014, 2015, 2016,
                                                           2017])
        run, notes = ms.rerun_discovery(s, "alpine", as_of=2026)
        assert run.year == 2017 and run.reference_year == 2015 and notes == []
        assert {"rank", "label", "score"} <= set(run.current.columns)
        assert run.current["rank"].min() == 1 and "C25" in run.current.index
        res = ms.check_ta(s, "alpine", "C25", as_of=2026, today=TODAY)
    st = res.standing
    assert st is not None and st.rank == int(run.current.at["C25", "rank"])
    assert st.reference_rank == int(run.reference.at["C25", "rank"])


# ---------------------------------------------------------------------- self-assessments
def test_self_assessments_are_stored_per_date_and_aggregated(alpine, rows_of):
    first = [{"participant": p, "factor": f, "score": s}
             for p, s in (("P1", 2), ("P2", 4)) for f in ("s1_assets", "s2_helix")]
    second = [{**r, "score": min(5, r["score"] + 1)} for r in first]
    with db.session_scope(alpine) as s:
        ms.record_self_assessment(s, "alpine", first, assessed_on="2025-03-01",
                                  label="workshop")
        ms.record_self_assessment(s, "alpine", pd.DataFrame(second),
                                  assessed_on=dt.date(2026, 3, 1), label="workshop")
        with pytest.raises(svc.ConflictError, match="2026-03-01 \\(workshop\\) exists"):
            ms.record_self_assessment(s, "alpine", second, assessed_on="2026-03-01",
                                      label="workshop")
    before = rows_of(alpine)
    with db.session_scope(alpine) as s:
        with pytest.raises(ms.MonitoringError, match="integer from 0 to 5, got 7"):
            ms.record_self_assessment(s, "alpine", [{"participant": "P1",
                                                     "factor": "s1_assets", "score": 7}],
                                      assessed_on="2026-04-01")
    assert rows_of(alpine) == before
    with db.session_scope(alpine) as s:
        steps = ms.self_assessment_steps(s, "alpine")
        means = steps.pivot_table(index="step", columns="assessed_on", values="mean")
        assert means.loc[1].tolist() == [3.0, 4.0] and means.loc[2].tolist() == [3.0, 4.0]
        assert steps["n_participants"].max() == 2
        stored = ms.list_self_assessments(s, "alpine")
        assert [a.assessed_on for a in stored] == [dt.date(2025, 3, 1), dt.date(2026, 3, 1)]
        assert len(ms.self_assessment_scores(stored[0])) == 4
        ms.record_self_assessment(s, "alpine", first, assessed_on="2026-03-01",
                                  label="workshop", replace=True)
        assert ms.self_assessment_steps(s, "alpine")["mean"].tolist()[6] == 3.0


# -------------------------------------------------------------------------- export/import
def test_monitoring_travels_with_the_workspace(alpine, tmp_path):
    with db.session_scope(alpine) as s:
        ms.import_panel(s, "alpine", _employment(), years=[2015, 2016])
        ms.record_observation(s, "alpine", "C25", "new_firms", 2025, 3, max_year=2026)
        ms.set_plan(s, "alpine", "C25", critical_mass_due="2028-12-31", top_k=7)
        ms.record_self_assessment(s, "alpine", [{"participant": "P1", "factor": "s6_data",
                                                 "score": 3}], assessed_on="2026-01-15")
        ms.save_report_snapshot(s, "alpine", {"tas": {"C25": {"status": "amber"}}},
                                as_of=2026)
        path = exchange.export_workspace(s, "alpine", tmp_path / "alpine.zip")
        before = ms.observations_frame(s, "alpine").drop(columns=[]).sort_values(
            ["indicator", "year"]).reset_index(drop=True)
    with db.session_scope(alpine) as s:
        copy = exchange.import_workspace(s, path, slug="alpine-copy")
        after = ms.observations_frame(s, copy).sort_values(["indicator", "year"]).reset_index(
            drop=True)
        pd.testing.assert_frame_equal(before, after)
        linked = s.scalars(select(MonitoringRecord).where(
            MonitoringRecord.workspace_id == copy.id)).all()
        assert all(r.indicator_id is not None for r in linked)
        assert len(ms.list_indicators(s, copy)) == 16
        assert ms.get_plan(s, copy, "C25").top_k == 7
        assert [y.year for y in ms.list_data_years(s, copy)] == [2015, 2016]
        assert ms.last_report_snapshot(s, copy).summary["tas"]["C25"]["status"] == "amber"
        assert len(ms.list_self_assessments(s, copy)) == 1
        # recomputing the copy changes nothing: the data came along
        assert ms.recompute_context(s, copy) == 0


def test_a_broken_monitoring_section_refuses_the_import(alpine, rows_of):
    with db.session_scope(alpine) as s:
        doc = exchange.workspace_document(s, "alpine")
    doc["monitoring_indicators"][0]["kind"] = "impact"
    before = rows_of(alpine)
    with db.session_scope(alpine) as s:
        with pytest.raises(exchange.ExchangeError,
                           match=r"monitoring_indicators\[0\] \('rca'\).*kind must be one of"):
            exchange.import_workspace(s, doc, slug="broken")
    assert rows_of(alpine) == before


# ------------------------------------------------------------------------------- migration
def test_migration_0003_keeps_the_observations(empty_url):
    now = dt.datetime(2024, 5, 6, tzinfo=dt.UTC)
    db.upgrade(empty_url, "0002")
    engine = db.get_engine(empty_url)
    with engine.begin() as c:
        def insert(table, /, **values):
            c.execute(Table(table, MetaData(), autoload_with=c).insert().values(**values))
        insert("workspaces", id=1, name="Legacy", slug="legacy", description="",
               created_at=now, updated_at=now)
        insert("workspace_regions", id=1, workspace_id=1, code="AT31", role="home")
        insert("selected_tas", id=1, workspace_id=1, activity="C28", label="", status="selected",
               selected_at=now, evidence_snapshot={})
        for i, (key, kind, year, value) in enumerate([("rca", "context", 2017, 1.7),
                                                      ("rca", "context", 2018, 1.6),
                                                      ("members", "output", 2024, 5.0)], 1):
            insert("monitoring_records", id=i, workspace_id=1, ta_id=1, indicator_key=key,
                   kind=kind, year=year, value=value, unit="ratio" if key == "rca" else "count",
                   source="legacy", note="", created_at=now)
        if c.dialect.name == "postgresql":
            for t in ("workspaces", "workspace_regions", "selected_tas", "monitoring_records"):
                c.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                                  f"(SELECT max(id) FROM {t}))")
    engine.dispose()
    db.upgrade(empty_url, "0003")
    assert db.current_revision(empty_url) == "0003"
    with db.get_engine(empty_url).connect() as c:
        records = Table("monitoring_records", MetaData(), autoload_with=c)
        rows = c.execute(select(records.c.id, records.c.value, records.c.origin,
                                records.c.indicator_id).order_by(records.c.id)).all()
        defs = Table("monitoring_indicators", MetaData(), autoload_with=c)
        definitions = c.execute(select(defs.c.id, defs.c.key, defs.c.kind, defs.c.unit)
                                .order_by(defs.c.id)).all()
        assert {i["name"] for i in inspect(c).get_indexes("monitoring_records")} >= {
            "ix_monitoring_records_indicator_id"}
    assert [(k, kind, unit) for _, k, kind, unit in definitions] == [
        ("rca", "context", "ratio"), ("members", "output", "count")]
    ids = {k: i for i, k, _, _ in definitions}
    assert [(i, v, o, ind) for i, v, o, ind in rows] == [
        (1, 1.7, "legacy", ids["rca"]), (2, 1.6, "legacy", ids["rca"]),
        (3, 5.0, "legacy", ids["members"])]
    # the migrated rows feed the monitoring of today
    db.upgrade(empty_url)
    with db.session_scope(empty_url) as s:
        data = ms.load_workspace_data(s, "legacy", discovery=False, today=TODAY)
        assert data.tas["C28"].observations["rca"] == {2017: 1.7, 2018: 1.6}
        assert s.scalar(select(func.count()).select_from(IndicatorRecord)) == 2
    # and a downgrade to 0002 keeps the observations
    db.downgrade(empty_url, "0002")
    with db.get_engine(empty_url).connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM monitoring_records").scalar() == 3
        assert "indicator_id" not in {col["name"] for col in
                                      inspect(c).get_columns("monitoring_records")}


def test_a_region_missing_from_the_data_is_refused_cleanly(store_url, rows_of):
    """HR05 (Grad Zagreb) is a NUTS 2021 region; the regional accounts use NUTS 2016."""
    with db.session_scope(store_url) as s:
        ws = svc.create_workspace(s, "Zagreb S3", region="HR05", slug="zagreb")
        svc.select_ta(s, ws, "J62")
    before = rows_of(store_url)
    with db.session_scope(store_url) as s:
        with pytest.raises(ms.MonitoringError, match="region 'HR05' is in none of the data "
                                                     "years 2016-2017"):
            ms.import_panel(s, "zagreb", _employment(), years=[2016, 2017])
    assert rows_of(store_url) == before
    with db.session_scope(store_url) as s:  # the demo seeding goes on without context data
        summary = ms.seed_demo_monitoring(s, "zagreb", years=[2016, 2017])
        assert summary["skipped"].startswith("no context indicators: TA J62: region 'HR05'")
        assert ms.list_data_years(s, "zagreb") == []
        assert len(ms.list_indicators(s, "zagreb")) == 16
