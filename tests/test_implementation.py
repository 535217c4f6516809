"""Implementation: action validation and workflow, timeline, good practices, critical mass."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from smartspec import datasets
from smartspec.implementation.critical_mass import critical_mass, maturity_from_ratio
from smartspec.implementation.good_practices import (
    CLUSTER_MATURITIES,
    REGION_TYPES,
    TA_MODES,
    load_practices,
    recommend_practices,
    region_types,
    search_practices,
)
from smartspec.implementation.timeline import STATUS_COLOURS, timeline_figure, timeline_frame
from smartspec.implementation.tracking import (
    ActionValidationError,
    progress,
    transition,
    validate_action,
)
from smartspec.strategy.actions import ACTION_TYPES, Action, InvalidTransition
from smartspec.strategy.actors import Actor, demo_actors

D = dt.date


def action(**kw) -> Action:
    base = {"title": "Pilot line", "action_type": "pilot_testbed", "start": D(2025, 1, 1),
            "end": D(2025, 12, 31), "deadline": D(2025, 12, 1), "budget": 1000.0,
            "committed": 500.0, "spent": 100.0, "regions": ["AT31"]}
    base.update(kw)
    return Action(**base)


# ---------------------------------------------------------------------------------------------
# validation and workflow
# ---------------------------------------------------------------------------------------------
def test_valid_action_has_no_warnings():
    assert validate_action(action()) == []


def test_dates_out_of_order():
    with pytest.raises(ActionValidationError) as err:
        validate_action(action(end=D(2024, 6, 1), deadline=D(2024, 12, 1)))
    assert [(p.kind, p.column) for p in err.value.problems] == [
        ("dates out of order", "end"), ("dates out of order", "deadline")]
    assert "end 2024-06-01 is before start 2025-01-01" in str(err.value)


@pytest.mark.parametrize("field", ["budget", "committed", "spent"])
def test_budgets_below_zero(field):
    with pytest.raises(ActionValidationError) as err:
        validate_action(action(**{field: -1.0}))
    assert [(p.kind, p.column) for p in err.value.problems] == [("negative amount", field)]
    assert f"{field} cannot be below zero" in str(err.value)


def test_other_errors_collected():
    bad = action(title=" ", action_type="party", status="finished", start="2025-01-01",
                 budget=float("nan"), regions=["Austria"], attachments=[{"size": 3}],
                 milestones=[{"title": "x", "due": "soon"}])
    with pytest.raises(ActionValidationError) as err:
        validate_action(bad, origin="form", row=3)
    assert err.value.kinds == {"missing title", "unknown action type", "unknown status",
                               "bad date", "bad amount", "bad NUTS code", "bad attachment",
                               "bad milestone"}
    assert all(p.row == 3 and p.origin == "form" for p in err.value.problems)


def test_warnings():
    warnings = validate_action(action(spent=800.0, committed=1200.0,
                                      deadline=D(2026, 3, 1),
                                      milestones=[{"title": "late", "due": D(2027, 1, 1)}]))
    assert warnings == [
        "committed (1,200) exceeds the budget (1,000)",
        "deadline 2026-03-01 is after the end 2025-12-31",
        "milestone 'late' (2027-01-01) lies outside the action's dates",
    ]
    assert validate_action(action(spent=600.0))[0] == "spent (600) exceeds committed (500)"
    assert "done but has no end date" in validate_action(action(status="done", end=None,
                                                                deadline=None))[0]


def test_transition_workflow():
    a = action(start=None, end=None, deadline=None)
    started = transition(a, "in_progress", on=D(2025, 3, 1))
    assert started.status == "in_progress" and started.start == D(2025, 3, 1)
    assert a.status == "planned"            # the input is not modified
    held = transition(started, "on_hold")
    resumed = transition(held, "in_progress")
    done = transition(resumed, "done", on=D(2025, 9, 30))
    assert done.end == D(2025, 9, 30)
    with pytest.raises(InvalidTransition):
        transition(done, "in_progress")
    with pytest.raises(InvalidTransition):
        transition(a, "done")               # planned -> done skips in_progress
    with pytest.raises(InvalidTransition):
        transition(transition(a, "cancelled"), "planned")


def test_progress_summary():
    items = [action(status="done"), action(status="in_progress", deadline=D(2020, 1, 1),
                                           start=D(2019, 1, 1)),
             action(status="cancelled", committed=0.0, spent=0.0), action()]
    p = progress(items, as_of=D(2025, 6, 1))
    assert p["n"] == 4 and p["by_status"]["done"] == 1 and p["by_status"]["on_hold"] == 0
    assert p["share_done"] == pytest.approx(1 / 3)
    assert p["committed"] == 1500.0 and p["spent"] == 300.0 and p["spent_share"] == 0.2
    assert p["overdue"] == ["Pilot line"]


# ---------------------------------------------------------------------------------------------
# timeline
# ---------------------------------------------------------------------------------------------
def test_timeline_frame_and_figure():
    items = [
        action(title="B", phase=2, status="in_progress",
               milestones=[{"title": "m1", "due": D(2025, 6, 1)}]),
        action(title="A", phase=1, action_type="funding_search", end=None,
               deadline=None, start=D(2025, 2, 1), status="planned"),
        action(title="B", phase=2, start=D(2025, 3, 1)),
        action(title="No date", start=None, end=None, deadline=None),
    ]
    frame = timeline_frame(items)
    assert list(frame["task"]) == ["A", "B", "B (2)"]
    assert frame.attrs["undated"] == ["No date"]
    a = frame.iloc[0]
    assert a["end_estimated"] and a["finish"] == pd.Timestamp("2025-06-01")  # 4 months
    assert frame.iloc[1]["milestones"] == [("m1", pd.Timestamp("2025-06-01"))]

    fig = timeline_figure(items)
    bars = [t for t in fig.data if t.type == "bar"]
    tasks = [y for t in bars for y in t.y]
    assert sorted(tasks) == ["A", "B", "B (2)"]
    by_status = {t.name: t for t in bars}
    assert set(by_status) == {"planned", "in_progress"}
    assert by_status["in_progress"].marker.color == STATUS_COLOURS["in_progress"]
    # bar length = finish - start (milliseconds), base = start
    inprog = by_status["in_progress"]
    assert pd.Timestamp(inprog.base[0]) == pd.Timestamp("2025-01-01")
    assert inprog.x[0] == (pd.Timestamp("2025-12-31") - pd.Timestamp("2025-01-01")
                           ).total_seconds() * 1000
    names = [t.name for t in fig.data]
    assert "deadline" in names and "milestone" in names
    assert fig.layout.meta["undated"] == ["No date"]
    assert fig.layout.yaxis.autorange == "reversed"
    empty = timeline_figure([action(start=None)])
    assert len(empty.data) == 0 and empty.layout.meta["undated"] == ["Pilot line"]
    with pytest.raises(ValueError):
        timeline_figure(items, color="owner")


# ---------------------------------------------------------------------------------------------
# good practices
# ---------------------------------------------------------------------------------------------
def test_library_entries_are_tagged_and_sourced():
    practices = load_practices()
    assert len(practices) >= 30
    assert len({p.key for p in practices}) == len(practices)
    for p in practices:
        assert p.title and len(p.summary) > 80 and p.source and p.tags
        assert p.action_types and set(p.action_types) <= set(ACTION_TYPES)
        assert p.cluster_maturity and set(p.cluster_maturity) <= set(CLUSTER_MATURITIES)
        assert p.ta_modes and set(p.ta_modes) <= set(TA_MODES)
        assert p.region_types and set(p.region_types) <= set(REGION_TYPES)
    covered = {t for p in practices for t in p.action_types}
    assert covered == set(ACTION_TYPES)      # every action type has practices
    json.dumps([p.to_dict() for p in practices])


def test_search_by_text():
    keys = [p.key for p in search_practices("Vouchers")]
    assert keys[:2] == ["creative_vouchers", "innovation_vouchers"]   # title hits first
    assert [p.key for p in search_practices("LIVING LAB")] == ["living_labs"]
    assert search_practices("living lab")[0].key == "living_labs"
    assert "alpine_cluster_cooperation" in [p.key for p in search_practices("alpine")]
    assert search_practices("xyzzy") == []
    # every word must occur (prefix match), the phrase in a title ranks first
    found = search_practices("test before invest")
    assert found[0].key == "test_before_invest"
    assert all("invest" in (p.title + p.summary + " ".join(p.tags) + p.source).lower()
               for p in found)
    assert search_practices("foresight", limit=1)[0].key == "foresight"


def test_search_by_tags():
    found = search_practices(action_types="skills_training", region_types=["mountain"])
    assert found and all("skills_training" in p.action_types and "mountain" in p.region_types
                         for p in found)
    found = search_practices("cluster", cluster_maturity="emerging", ta_modes="transition")
    assert found and all("emerging" in p.cluster_maturity and "transition" in p.ta_modes
                         for p in found)
    assert [p.key for p in search_practices(tags="EDIH")] == ["test_before_invest"]
    with pytest.raises(ValueError, match="unknown region_types"):
        search_practices(region_types="lunar")


def test_recommendations_with_reasons():
    recs = recommend_practices("interregional_partnership", ta_mode="transition",
                               region_type=["mountain", "border"], maturity="emerging")
    assert len(recs) == 5
    assert recs[0].score >= recs[-1].score
    top = recs[0]
    assert "interregional_partnership" in top.practice.action_types
    assert top.reasons[0] == "a practice for 'interregional partnership' actions"
    assert any("mountain" in r for r in top.reasons)
    assert top.reasons[-1].startswith("source: ")
    # wording of the action counts
    act = Action("Set up a living lab with citizens", "pilot_testbed")
    assert recommend_practices(act, limit=1)[0].practice.key == "living_labs"
    with pytest.raises(ValueError, match="unknown TA mode"):
        recommend_practices("pilot_testbed", ta_mode="revolution")
    assert recommend_practices("pilot_testbed", ta_mode="radical foundation") == \
        recommend_practices("pilot_testbed", ta_mode="radical_foundation")


def test_region_types_from_real_typologies():
    assert {"mountain", "industrial"} <= set(region_types("AT31"))
    assert "metropolitan" in region_types("DE21")
    assert region_types("XX99") == ()


def test_user_practices(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps([{"key": "my_lab", "title": "Our lab", "summary": "A lab.",
                                 "action_types": ["pilot_testbed"], "source": "us, 2025"}]))
    practices = load_practices(path)
    assert practices[-1].key == "my_lab" and practices[-1].ta_modes == TA_MODES
    with pytest.raises(ValueError, match="duplicate"):
        load_practices([{"key": "foresight", "title": "t", "summary": "s",
                         "action_types": ["pilot_testbed"], "source": "x"}])
    with pytest.raises(ValueError, match="unknown value"):
        load_practices([{"key": "k", "title": "t", "summary": "s",
                         "action_types": ["party"], "source": "x"}])


# ---------------------------------------------------------------------------------------------
# critical mass on the real embedded data
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sbs():
    return datasets.sbs_employment()


def test_critical_mass_at31_machinery(sbs):
    report = critical_mass("C28", "AT31", sbs, related=())
    m = sbs.matrix()
    assert report.local_employment == m.loc["AT31", "C28"] == 28044
    values = m["C28"].dropna()
    assert report.threshold == pytest.approx(values.quantile(0.9))
    rca = (m.fillna(0)["C28"] / m.fillna(0).sum(axis=1)) / (
        m.fillna(0)["C28"].sum() / m.fillna(0).to_numpy().sum())
    assert report.benchmark_median == pytest.approx(values[rca.reindex(values.index) >= 1]
                                                    .median())
    assert report.n_specialised == int((rca.reindex(values.index) >= 1).sum())
    assert report.ratio == pytest.approx(28044 / report.threshold)
    assert report.ratio > 1 and report.reached and report.missing == ""
    assert report.year == 2015


def test_critical_mass_with_related_actors_budget_partners(sbs):
    home = [a for a in demo_actors() if a.region == "AT31" and a.actor_type == "firm"]
    report = critical_mass("C28", "AT31", sbs, related={"C27": 1.0, "C25": 0.5},
                           actors=home, committed_budget=2e5, budget_target=5e5,
                           partner_regions=["AT12", "CH01"], partner_weight=0.5)
    m = sbs.matrix()
    local = m.loc["AT31", "C28"] + m.loc["AT31", "C27"] + 0.5 * m.loc["AT31", "C25"]
    assert report.local_employment == pytest.approx(local)
    partner = m.loc["AT12", "C28"] + m.loc["AT12", "C27"] + 0.5 * m.loc["AT12", "C25"]
    assert report.partner_employment == {"AT12": pytest.approx(partner)}
    assert report.capacity == pytest.approx(local + 0.5 * partner)
    size = (m[["C28", "C27", "C25"]].fillna(0) * [1, 1, 0.5]).sum(axis=1)
    size = size[m[["C28", "C27", "C25"]].notna().any(axis=1)]
    assert report.threshold == pytest.approx(size.quantile(0.9))
    assert report.actors_by_helix["industry"] == len(home)
    assert not report.reached
    assert "no committed actor of helix 'academia', 'government'" in report.missing
    assert "EUR 300,000 more committed budget" in report.missing
    assert any("CH01" in n for n in report.notes)       # no SBS data for Switzerland
    if report.ratio < 1:
        assert "more persons employed" in report.missing


def test_critical_mass_shortfall_text(sbs):
    report = critical_mass("C30", "AT32", sbs, related=(), actors=[
        Actor("U", "university", "AT32"), Actor("G", "public_authority", "AT32"),
        Actor("F", "firm", "AT32")])
    assert report.ratio < 1 and not report.reached
    gap = report.threshold - report.capacity
    assert report.missing.startswith(f"{gap:,.0f} more persons employed in C30")
    assert maturity_from_ratio(report.ratio) in ("emerging", "developing")


def test_critical_mass_inputs(sbs):
    with pytest.raises(KeyError, match="region 'XX11'"):
        critical_mass("C28", "XX11", sbs, related=())
    with pytest.raises(KeyError, match="activity"):
        critical_mass("Z99", "AT31", sbs, related=())
    with pytest.raises(KeyError, match="related"):
        critical_mass("C28", "AT31", sbs, related=["Q86"])
    with pytest.raises(ValueError, match="below zero"):
        critical_mass("C28", "AT31", sbs, related=(), committed_budget=-5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        critical_mass("C28", "AT31", sbs, related={"C27": 2.0})
    with pytest.raises(TypeError):
        critical_mass("C28", "AT31", sbs, related="C27")
    frame = pd.DataFrame(np.array([[10.0, 0.0], [0.0, 10.0], [5.0, 5.0]]),
                         index=["R1", "R2", "R3"], columns=["a", "b"])
    report = critical_mass("a", "R3", frame, related=())
    # RCA of R1 in a = 2, of R3 = 1 (both specialised); sizes 10, 0, 5
    assert report.benchmark_median == 7.5 and report.threshold == pytest.approx(9.0)
    assert math.isclose(report.ratio, 5 / 9)
    assert [maturity_from_ratio(x) for x in (0.2, 0.7, 1.0)] == ["emerging", "developing",
                                                                 "mature"]
