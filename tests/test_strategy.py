"""Action catalogue and workflow, strategy generation rules, funding catalogue and matching."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from smartspec.strategy.actions import (
    ACTION_CATALOGUE,
    ACTION_STATUSES,
    ACTION_TYPES,
    ALLOWED_TRANSITIONS,
    Action,
    InvalidTransition,
    add_months,
    check_transition,
)
from smartspec.strategy.actors import ACTOR_TYPES, Actor, demo_actors
from smartspec.strategy.funding import (
    FundingCatalogueError,
    FundingInstrument,
    load_funding_catalogue,
    match_funding,
)
from smartspec.strategy.generation import Strategy, draft_strategy

ESCO = "http://data.europa.eu/esco/skill/"
TWIN = ESCO + "737f8895-46df-4283-8f38-13f3f0fc3b77"   # digital twin technology


# ---------------------------------------------------------------------------------------------
# catalogue and workflow
# ---------------------------------------------------------------------------------------------
def test_action_catalogue_is_complete():
    assert tuple(ACTION_CATALOGUE) == ACTION_TYPES and len(ACTION_TYPES) == 9
    for key, entry in ACTION_CATALOGUE.items():
        assert entry.key == key and entry.description and entry.gap_addressed
        assert entry.typical_duration_months > 0 and entry.phase in (1, 2, 3)
        assert entry.actor_types and set(entry.actor_types) <= set(ACTOR_TYPES)
        assert entry.lead_actor_type == entry.actor_types[0]
        assert entry.indicators and entry.milestones
        assert all(0 < month <= entry.typical_duration_months for _, month in entry.milestones)


def test_every_transition_pair():
    for old in ACTION_STATUSES:
        for new in ACTION_STATUSES:
            if old == new or new in ALLOWED_TRANSITIONS[old]:
                check_transition(old, new)
            else:
                with pytest.raises(InvalidTransition):
                    check_transition(old, new)
    assert ALLOWED_TRANSITIONS["planned"] == {"in_progress", "cancelled", "on_hold"}
    assert ALLOWED_TRANSITIONS["on_hold"] == {"in_progress", "cancelled"}
    with pytest.raises(InvalidTransition, match="'done' is final"):
        check_transition("done", "in_progress")
    with pytest.raises(InvalidTransition, match="unknown new status 'finished'"):
        check_transition("planned", "finished")
    assert issubclass(InvalidTransition, ValueError)


def test_action_dict_round_trip():
    action = Action("Train staff", "skills_training", start=dt.date(2025, 1, 1),
                    end=dt.date(2025, 12, 31), milestones=[{"title": "cohort",
                                                            "due": dt.date(2025, 6, 1)}],
                    attachments=[{"name": "plan.pdf", "size": 10, "media_type":
                                  "application/pdf", "uri": "file:plan.pdf"}], budget=1e4)
    data = action.to_dict()
    json.dumps(data)                        # JSON-friendly
    assert data["start"] == "2025-01-01" and data["milestones"][0]["due"] == "2025-06-01"
    assert Action.from_dict(data) == action
    with pytest.raises(ValueError, match="unknown action field"):
        Action.from_dict({**data, "colour": "red"})
    with pytest.raises(ValueError, match="not an ISO date"):
        Action.from_dict({**data, "start": "01/02/2025"})


def test_add_months():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 11, 15), 14) == dt.date(2027, 1, 15)


# ---------------------------------------------------------------------------------------------
# strategy generation
# ---------------------------------------------------------------------------------------------
def row(**values) -> pd.Series:
    base = {"score": 0.6, "capability_gap": 0.2, "pci": -0.2, "partners": [], "mode": None,
            "skill_gap": [], "critical_mass_ratio": 1.5, "region": "AT31"}
    base.update(values)
    return pd.Series(base, name=values.pop("name", "C28"))


def kinds(strategy: Strategy) -> list[str]:
    return [a.action_type for a in strategy.actions]


def rationale(strategy: Strategy, kind: str) -> str:
    return next(a.rationale for a in strategy.actions if a.action_type == kind)


def test_minimal_diagnosis_gives_funding_search_only():
    s = draft_strategy(row(), start=dt.date(2026, 1, 1))
    assert kinds(s) == ["funding_search", "cluster_service"]   # mass reached -> services
    assert s.ta == "C28" and "machinery" in s.label.lower()
    assert any("no skill gap given" in n for n in s.notes)


def test_skill_gap_calls_for_training():
    s = draft_strategy(row(skill_gap=[TWIN, "hydrogen safety"]))
    assert "skills_training" in kinds(s)
    why = rationale(s, "skills_training")
    assert "skill gap: 2 skill(s)" in why and "digital twin technology" in why
    assert "skills_training" in kinds(draft_strategy(row(skill_gap=4)))
    assert "skills_training" not in kinds(draft_strategy(row(skill_gap=0)))


def test_low_critical_mass_calls_for_consortium_and_attraction():
    s = draft_strategy(row(critical_mass_ratio=0.8))
    assert "consortium_creation" in kinds(s) and "investment_attraction" not in kinds(s)
    assert "low critical mass (capacity 0.80" in rationale(s, "consortium_creation")
    s = draft_strategy(row(critical_mass_ratio=0.3))
    assert {"consortium_creation", "investment_attraction"} <= set(kinds(s))
    assert "very low" in rationale(s, "investment_attraction")
    s = draft_strategy(row(critical_mass_ratio=None))
    assert "not been assessed" in rationale(s, "consortium_creation")
    # a critical-mass report (or its dict) is accepted in place of the ratio
    report = {"ratio": 0.4, "threshold": 1e4}
    s = draft_strategy(row(critical_mass_ratio=None).drop("critical_mass_ratio")
                       .to_dict() | {"activity": "C28", "critical_mass": report})
    assert "investment_attraction" in kinds(s)


def test_partners_call_for_interregional_partnership():
    s = draft_strategy(row(partners=["DE21", "DE27"]))
    assert "interregional_partnership" in kinds(s)
    action = next(a for a in s.actions if a.action_type == "interregional_partnership")
    assert action.regions == ["AT31", "DE21", "DE27"]
    assert "partner regions DE21, DE27" in action.rationale


def test_complexity_and_modes():
    assert "collaborative_rnd" in kinds(draft_strategy(row(pci=1.2)))
    assert "high complexity (PCI 1.20" in rationale(draft_strategy(row(pci=1.2)),
                                                    "collaborative_rnd")
    assert "collaborative_rnd" not in kinds(draft_strategy(row(pci=0.1)))
    radical = draft_strategy(row(mode="radical_foundation"))
    assert {"collaborative_rnd", "regulatory_standards"} <= set(kinds(radical))
    # discovery spells the mode with a space
    assert kinds(draft_strategy(row(mode="radical foundation"))) == kinds(radical)
    for mode in ("modernisation", "diversification"):
        assert "pilot_testbed" in kinds(draft_strategy(row(mode=mode)))
    assert "pilot_testbed" not in kinds(draft_strategy(row(mode="transition")))
    with pytest.raises(ValueError, match="unknown TA mode"):
        draft_strategy(row(mode="revolution"))


def test_large_gap_calls_for_rnd_and_attraction():
    s = draft_strategy(row(capability_gap=0.8))
    assert {"collaborative_rnd", "investment_attraction"} <= set(kinds(s))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        draft_strategy(row(capability_gap=3))


def test_phases_order_and_schedule():
    s = draft_strategy(row(critical_mass_ratio=0.3, skill_gap=2, partners=["DE21"], pci=1,
                           mode="modernisation"), start=dt.date(2026, 1, 1))
    phases = [a.phase for a in s.actions]
    assert phases == sorted(phases)
    assert kinds(s) == ["consortium_creation", "funding_search", "interregional_partnership",
                        "collaborative_rnd", "skills_training", "investment_attraction",
                        "pilot_testbed"]
    first = {a.action_type: a for a in s.actions}
    # phase 2 starts when the shortest phase-1 action (funding search, 4 months) ends
    assert first["collaborative_rnd"].start == dt.date(2026, 5, 1)
    # phase 3 starts when the shortest phase-2 action (skills/attraction, 24 months) ends
    assert first["pilot_testbed"].start == dt.date(2028, 5, 1)
    for a in s.actions:
        entry = ACTION_CATALOGUE[a.action_type]
        assert a.end == add_months(a.start, entry.typical_duration_months)
        assert a.rationale and a.indicators == list(entry.indicators)
        assert [m["title"] for m in a.milestones] == [t for t, _ in entry.milestones]
        assert all(a.start <= m["due"] <= a.end for m in a.milestones)
        assert a.ta == "C28" and a.status == "planned"


def test_lead_actors_from_the_registry():
    actors = demo_actors()
    s = draft_strategy(row(critical_mass_ratio=0.8, pci=1.0), actors)
    lead = s.leads[next(a.title for a in s.actions if a.action_type == "collaborative_rnd")]
    assert lead.actor_type == "research_organisation" and lead.region == "AT31"
    assert "C28" in lead.activities           # best-matching research organisation
    assert "Proposed lead: " + lead.name in rationale(s, "collaborative_rnd")
    assert "cluster_service" in kinds(s)      # a cluster organisation is registered
    # a region without public authorities: the funding search lead falls back
    few = [a for a in actors if a.actor_type != "public_authority"]
    s = draft_strategy(row(), few)
    action = next(a for a in s.actions if a.action_type == "funding_search")
    assert action.lead_actor_type == "cluster_organisation"


def test_missing_helix_calls_for_consortium():
    firms = [Actor("A", "firm", "AT31", activities=["C28"])]
    s = draft_strategy(row(critical_mass_ratio=2.0), firms)
    assert "no registered actor in the region for helix 'academia', 'government'" in \
        rationale(s, "consortium_creation")


def test_batch_candidates_row_names_region_and_activity():
    s = draft_strategy(pd.Series({"pci": 1.0, "label": "C28"}, name=("DE21", "C28")))
    assert (s.ta, s.region) == ("C28", "DE21")
    assert s.label.startswith("Manufacture of machinery")   # label equal to the code: NACE's


def test_real_discovery_candidate():
    discovery = pytest.importorskip("smartspec.discovery")
    from smartspec import datasets

    table = discovery.candidates(datasets.sbs_employment(), "AT31", n_draws=50)
    best = table.iloc[0]
    s = draft_strategy(best, demo_actors(), region="AT31")
    assert s.ta == table.index[0] and s.actions
    assert "funding_search" in kinds(s)
    assert all(a.rationale for a in s.actions)
    if best["mode"] in ("modernisation", "diversification"):
        assert "pilot_testbed" in kinds(s)
    if best["pci"] >= 0.5:
        assert "collaborative_rnd" in kinds(s)


def test_strategy_is_editable_and_serialisable():
    s = draft_strategy({"activity": "C28", "partners": "DE21; DE27", "pci": 1.0})
    s.actions.pop(0)
    s.actions[0].title = "Edited"
    data = s.to_dict()
    json.dumps(data, default=str)
    assert data["actions"][0]["title"] == "Edited"
    assert len(s.to_frame()) == len(s.actions)
    with pytest.raises(ValueError, match="names no activity"):
        draft_strategy({"pci": 1.0})
    with pytest.raises(TypeError):
        draft_strategy(["C28"])


# ---------------------------------------------------------------------------------------------
# funding
# ---------------------------------------------------------------------------------------------
def test_shipped_catalogue_facts():
    cat = {i.key: i for i in load_funding_catalogue()}
    programmes = " ".join(i.programme + " " + i.name for i in cat.values())
    for name in ("Horizon Europe", "Pillar I", "Pillar II", "Pillar III", "EIC Pathfinder",
                 "EIC Transition", "EIC Accelerator", "Interreg Alpine Space", "ERDF",
                 "Digital Europe", "European Digital Innovation Hubs", "Erasmus+", "LIFE"):
        assert name in programmes, name
    ria, ia = cat["he_p2_ria"], cat["he_p2_ia"]
    assert (ria.cofunding_rate, ia.cofunding_rate) == (1.0, 0.7)
    assert ria.min_consortium == 3 and ria.min_countries == 3
    assert cat["eic_accelerator"].eligible_actor_types == ("firm",)
    for inst in cat.values():
        assert inst.action_types and set(inst.action_types) <= set(ACTION_TYPES)
        assert set(inst.eligible_actor_types) <= set(ACTOR_TYPES)
        assert inst.cofunding_rate is None or 0 < inst.cofunding_rate <= 1
        assert not inst.user_defined and inst.notes
    # every action type has at least one instrument
    assert set(ACTION_TYPES) <= {t for i in cat.values() for t in i.action_types}


def test_user_defined_entries(tmp_path):
    path = tmp_path / "national.csv"
    path.write_text(
        "key,name,scope,eligible_actor_types,action_types,geographic_scope,cofunding_rate,"
        "min_consortium,trl_min,trl_max\n"
        "at_regional_rd,Regional R&D scheme (example),regional,firm;university,"
        "collaborative_rnd,AT31,50%,2,3,6\n", encoding="utf-8")
    cat = load_funding_catalogue(extra=path)
    inst = cat[-1]
    assert inst.user_defined and inst.cofunding_rate == 0.5
    assert inst.geographic_scope == ["AT31"] and (inst.trl_min, inst.trl_max) == (3, 6)
    with pytest.raises(FundingCatalogueError, match="already used"):
        load_funding_catalogue(extra=[{**inst.to_dict(), "key": "he_p2_ria"}])
    replaced = load_funding_catalogue(extra=[{"key": "he_p2_ria", "name": "RIA (edited)",
                                              "action_types": ["collaborative_rnd"],
                                              "cofunding_rate": 0.9}], replace=True)
    assert {i.key: i for i in replaced}["he_p2_ria"].cofunding_rate == 0.9
    # the shipped catalogue is not changed by editing a loaded copy
    load_funding_catalogue()[0].notes = "edited"
    assert load_funding_catalogue()[0].notes != "edited"


def test_invalid_user_entries_all_listed():
    bad = [{"key": "x", "name": "X", "scope": "galactic", "eligible_actor_types": "alien",
            "action_types": "dancing", "trl_min": 7, "trl_max": 3, "cofunding_rate": 1.5},
           {"key": "", "name": "", "colour": "red"}]
    with pytest.raises(FundingCatalogueError) as err:
        load_funding_catalogue(extra=bad, shipped=False)
    kinds_found = {p.kind for p in err.value.problems}
    assert kinds_found == {"bad scope", "unknown actor type", "unknown action type",
                           "bad TRL range", "bad rate", "missing key", "missing name",
                           "unknown field"}


def test_match_funding_ranks_and_explains():
    members = [a for a in demo_actors() if a.name.startswith(("Traunviertel", "Universität D",
                                                               "Isartal", "Allgäuer"))]
    assert len(members) == 4
    action = Action("Joint R&D", "collaborative_rnd")
    out = match_funding(action, consortium=members, trl=4)
    assert (out["eligible"]).all() and out["score"].is_monotonic_decreasing
    keys = list(out["key"])
    assert "he_p2_ria" not in keys          # RIA needs partners from 3 countries (AT, DE)
    assert "eurostars" in keys and "eic_pathfinder_open" not in keys
    full = match_funding(action, consortium=members, trl=4, include_ineligible=True)
    ria = full.set_index("key").loc["he_p2_ria"]
    assert not ria["eligible"]
    assert any(r.startswith("NOT: partners from 2 countries") for r in ria["reasons"])
    assert any("co-funding rate 100%" in r for r in ria["reasons"])


def test_match_funding_region_specific_first():
    out = match_funding("interregional_partnership", region="AT31")
    alpine = out.set_index("key").loc["interreg_alpine_space"]
    assert alpine["eligible"] and "region AT31 is in the instrument's area (AT)" in \
        alpine["reasons"]
    out_it = match_funding("interregional_partnership", region="ITF1")  # Abruzzo
    assert "interreg_alpine_space" not in set(out_it["key"])
    ch = match_funding("collaborative_rnd", region="CH01").set_index("key")
    assert any("association status" in c for c in ch.loc["he_p2_ria", "caveats"])
    assert "erdf_regional" not in ch.index           # ERDF: EU Member States only
    user = FundingInstrument("at_scheme", "Upper Austrian scheme", scope="regional",
                             geographic_scope=["AT31"], action_types=("pilot_testbed",),
                             cofunding_rate=0.5, user_defined=True)
    ranked = match_funding("pilot_testbed", region="AT31",
                           catalogue=[*load_funding_catalogue(), user])
    assert ranked.iloc[0]["key"] == "at_scheme"       # specific to the region, rate known
    with pytest.raises(ValueError, match="unknown action type"):
        match_funding("party")
    with pytest.raises(ValueError, match="trl"):
        match_funding("pilot_testbed", trl=12)
