"""Candidate transformative activities: contract, hand-checked scores and real-data plausibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartspec import datasets
from smartspec.data import Panel
from smartspec.discovery import (
    DEFAULT_EXCLUSIONS,
    DEFAULT_WEIGHTS,
    MODES,
    SUBSCORES,
    candidates,
    merge_stakeholder_scores,
    prepare,
    section_growth_for_divisions,
    skill_gaps,
)
from smartspec.discovery.candidates import short_label

CONTRACT = ["feasibility", "value", "advantage", "momentum", "transformative_potential",
            "capability_gap", "score", "quadrant", "mode", "p_top_k", "partners", "explanation",
            "rank", "label", "density", "pci", "rca", "partner_gain"]


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sbs() -> Panel:
    return datasets.sbs_employment()


@pytest.fixture(scope="module")
def labels() -> pd.Series:
    return datasets.nace("en").set_index("code_eurostat")["label"]


@pytest.fixture(scope="module")
def alpine() -> list[str]:
    return list(datasets.alpine_space(2).index)


@pytest.fixture(scope="module")
def neighbours() -> pd.DataFrame:
    return datasets.neighbours(2)


@pytest.fixture(scope="module")
def batch(sbs, labels, neighbours, alpine) -> pd.DataFrame:
    """All NUTS2 regions in one call, as in the benchmark."""
    return candidates(sbs, None, labels=labels, neighbours=neighbours, macro_region=alpine)


@pytest.fixture(scope="module")
def at31(sbs, labels, neighbours, alpine) -> pd.DataFrame:
    return candidates(sbs, "AT31", labels=labels, neighbours=neighbours, macro_region=alpine)


@pytest.fixture
def tiny() -> pd.DataFrame:
    """4 regions x 3 activities, small enough to check every number by hand.

    Totals: rows 40, 50, 40, 40; columns a 60, b 50, c 60; all 170. Presence (RCA >= 1):
    r1 {a}, r2 {b}, r3 {c}, r4 {a, c}. Ubiquity a 2, b 1, c 2; the only co-occurrence is a-c
    (in r4), so phi_ac = 1 / max(2, 2) = 0.5 and b is isolated.
    """
    return pd.DataFrame([[30, 10, 0], [10, 30, 10], [0, 10, 30], [20, 0, 20]],
                        index=["r1", "r2", "r3", "r4"], columns=["a", "b", "c"], dtype=float)


TINY_PCI = pd.Series({"a": 1.0, "b": 0.0, "c": -1.0})


# --------------------------------------------------------------------------------------------
# hand-checked sub-scores
# --------------------------------------------------------------------------------------------
def test_tiny_panel_hand_checked(tiny):
    c = candidates(tiny, "r1", exclude=(), n_draws=0, k=1, pci=TINY_PCI)
    assert list(c.index) == ["c", "a", "b"]  # sorted by score
    # RCA r1: a = (30/40)/(60/170) = 2.125, b = (10/40)/(50/170) = 0.85, c = 0
    np.testing.assert_allclose(c.loc[["a", "b", "c"], "rca"], [2.125, 0.85, 0.0])
    # advantage = RCA / (1 + RCA)
    np.testing.assert_allclose(c.loc[["a", "b", "c"], "advantage"],
                               [2.125 / 3.125, 0.85 / 1.85, 0.0])
    # density: omega_a = M_c phi_ac / phi_ac = 0, omega_c = M_a = 1, omega_b = 0 (no link)
    np.testing.assert_allclose(c.loc[["a", "b", "c"], "density"], [0.0, 0.0, 1.0])
    # feasibility = percentile of (0, 0, 1) with average ranks (1.5, 1.5, 3): (0.25, 0.25, 1)
    np.testing.assert_allclose(c.loc[["a", "b", "c"], "feasibility"], [0.25, 0.25, 1.0])
    # value = percentile of PCI (1, 0, -1)
    np.testing.assert_allclose(c.loc[["a", "b", "c"], "value"], [1.0, 0.5, 0.0])
    # transformative potential raw: r1's only specialisation is a (share .75): phi_ia,
    # i.e. a 0 (zero diagonal), b 0, c 0.5 -> percentiles 0.25, 0.25, 1
    np.testing.assert_allclose(c.loc[["a", "b", "c"], "transformative_potential"],
                               [0.25, 0.25, 1.0])
    # capability gap, k = 1: N(a) = {c}: 1 - min(0, 1) = 1; N(c) = {a}: 1 - min(2.125, 1) = 0;
    # b has no related activity: 1
    np.testing.assert_allclose(c.loc[["a", "b", "c"], "capability_gap"], [1.0, 1.0, 0.0])
    # no growth data: neutral momentum
    assert (c["momentum"] == 0.5).all()
    # composite: weighted mean with (1 - gap)
    w = pd.Series(DEFAULT_WEIGHTS)
    b = c[list(SUBSCORES)].copy()
    b["capability_gap"] = 1 - b["capability_gap"]
    np.testing.assert_allclose(c["score"], (b * w).sum(axis=1) / w.sum())
    assert c.loc["a", "mode"] == "modernisation"
    assert c.loc["c", "mode"] == "diversification"  # high density, no trend known
    assert c.loc["b", "mode"] == "radical foundation"
    assert c.loc["c", "quadrant"] == "high relatedness / low complexity"
    assert c.loc["a", "quadrant"] == "low relatedness / high complexity"
    assert list(c["rank"]) == [1, 2, 3]
    assert any("No growth data" in n for n in c.attrs["notes"])


def test_tiny_gap_uses_continuous_rca(tiny):
    c = candidates(tiny, "r2", exclude=(), n_draws=0, k=1, pci=TINY_PCI)
    # RCA r2: a = c = (10/50)/(60/170) = 0.5667: gap of a (needs c) = 1 - 0.5667
    np.testing.assert_allclose(c.loc[["a", "c"], "capability_gap"], [1 - 0.2 * 170 / 60] * 2)
    # ... while 1 - density would be 1 for both (r2 is specialised in neither a nor c)
    np.testing.assert_allclose(c.loc[["a", "c"], "density"], [0.0, 0.0])


def test_tiny_partners_and_gain(tiny):
    c = candidates(tiny, "r1", exclude=(), n_draws=0, k=1, pci=TINY_PCI,
                   partner_regions=["r2", "r3", "r4"])
    # candidate a needs c: r3 and r4 are specialised in c, each raising omega_a from 0 to 1
    assert c.loc["a", "partners"] == ["r3", "r4"]
    assert c.loc["a", "partner_gain"] == pytest.approx(1.0)
    # c: the only related activity (a) is present, so no gap and no partner
    assert c.loc["c", "partners"] == [] and np.isnan(c.loc["c", "partner_gain"])
    assert "Partner regions with these capabilities: r3, r4." in c.loc["a", "explanation"]


def test_weights_change_scores_and_validation(tiny):
    only_value = candidates(tiny, "r1", exclude=(), n_draws=0, pci=TINY_PCI,
                            weights={k: 0.0 for k in SUBSCORES} | {"value": 1.0})
    np.testing.assert_allclose(only_value["score"], only_value["value"])
    with pytest.raises(ValueError, match="unknown sub-score"):
        candidates(tiny, "r1", weights={"feasability": 1.0}, pci=TINY_PCI)
    with pytest.raises(ValueError, match=">= 0"):
        candidates(tiny, "r1", weights={"value": -1.0}, pci=TINY_PCI)
    with pytest.raises(ValueError, match="at least one weight"):
        candidates(tiny, "r1", weights={k: 0.0 for k in SUBSCORES}, pci=TINY_PCI)


def test_unknown_region_lists_same_country(sbs):
    with pytest.raises(ValueError, match="AT31"):
        candidates(sbs, "AT99", n_draws=0)


# --------------------------------------------------------------------------------------------
# contract and real-data plausibility
# --------------------------------------------------------------------------------------------
def test_single_region_contract(at31):
    assert at31.index.name == "activity"
    assert set(CONTRACT) <= set(at31.columns)
    assert at31["score"].is_monotonic_decreasing
    assert list(at31["rank"]) == list(range(1, len(at31) + 1))
    assert at31.attrs["region"] == "AT31" and at31.attrs["year"] == 2015
    assert all(isinstance(p, list) and all(isinstance(q, str) for q in p)
               for p in at31["partners"])
    assert all(isinstance(e, str) and e.startswith(("Builds on", "No closely"))
               for e in at31["explanation"])
    assert set(at31["mode"]) <= set(MODES)
    assert at31["p_top_k"].between(0, 1).all()
    # the top-k probabilities sum to about k (ties at the cut may add a little)
    assert at31["p_top_k"].sum() == pytest.approx(10, abs=0.5)


def test_at31_top_candidates_are_related_manufacturing(at31):
    top = at31.head(10)
    # Oberoesterreich: steel (voestalpine), machinery, metal products, plastics
    assert (top.index.str[0] == "C").sum() >= 7
    assert {"C24", "C25", "C28"} <= set(top.index)
    # the best candidate that is new to the region is close to its capabilities
    new = at31[at31["mode"] != "modernisation"].iloc[0]
    assert new["quadrant"].startswith("high relatedness")
    assert new["density"] > at31["density"].median()


def test_explanations_name_local_specialisations_gaps_and_partners(at31):
    e = at31.loc["C27", "explanation"]
    assert "Machinery and equipment n.e.c. (C28)" in e  # short label of a local specialisation
    assert "Missing related capabilities:" in e and "Partner regions" in e
    assert "Mode: modernisation" in e
    for code in at31.loc["C27", "partners"]:
        assert code in e


def test_de11_car_industry_is_modernisation(batch):
    c29 = batch.loc[("DE11", "C29")]
    assert c29["rca"] > 5 and c29["mode"] == "modernisation"
    assert c29["rank"] <= 12 and c29["p_top_k"] > 0.3
    assert c29["quadrant"] == "high relatedness / high complexity"


def test_batch_contract_and_consistency(batch, at31, sbs):
    assert batch.index.names == ["region", "activity"]
    n_regions = batch.index.get_level_values(0).nunique()
    assert n_regions >= 280 and len(batch) == n_regions * 68
    # ranks run 1..68 in every region; the batch equals the one-region call
    assert (batch.groupby(level=0)["rank"].max() == 68).all()
    one = batch.loc["AT31"]
    pd.testing.assert_frame_equal(one, at31, check_like=False)
    for col in SUBSCORES + ("score", "p_top_k"):
        assert batch[col].between(0, 1).all(), col
    assert batch["mode"].isin(MODES).all()
    assert batch["partner_gain"].dropna().gt(0).all()


def test_partners_come_from_neighbours_and_macro_region(at31, neighbours, alpine):
    near = set(neighbours.loc[neighbours["region"] == "AT31", "neighbour"])
    allowed = (near | set(alpine)) - {"AT31"}
    used = {q for p in at31["partners"] for q in p}
    assert used and used <= allowed
    assert any(q not in set(alpine) for q in used)  # a cross-border neighbour (CZ03)
    # gains are sorted: the first partner is the best
    no_partner = at31["partners"].map(len) == 0
    assert at31.loc[no_partner, "partner_gain"].isna().all()


def test_region_outside_macro_region_gets_only_neighbours(sbs, neighbours, alpine):
    c = candidates(sbs, "ES30", neighbours=neighbours, macro_region=alpine, n_draws=0,
                   explain=False)
    near = set(neighbours.loc[neighbours["region"] == "ES30", "neighbour"])
    assert {q for p in c["partners"] for q in p} <= near


def test_constant_multiple_gives_same_ranking_on_real_data(sbs):
    x = sbs.matrix()
    a = candidates(x, ["AT31", "DE11", "ITC4"], n_draws=100, explain=False)
    b = candidates(x * (1000 / 7), ["AT31", "DE11", "ITC4"], n_draws=100, explain=False)
    assert a.index.equals(b.index)
    np.testing.assert_array_equal(a["rank"], b["rank"])
    np.testing.assert_allclose(a["score"], b["score"], atol=1e-12)
    np.testing.assert_array_equal(a["p_top_k"], b["p_top_k"])


def test_robustness_seeded_and_meaningful(sbs):
    base = prepare(sbs)
    a = candidates(base, "AT31", n_draws=200, seed=7, explain=False)
    b = candidates(base, "AT31", n_draws=200, seed=7, explain=False)
    np.testing.assert_array_equal(a["p_top_k"], b["p_top_k"])
    # with (almost) no weight uncertainty, p_top_k is 1 inside the top 5 and 0 outside
    tight = candidates(base, "AT31", top_k=5, n_draws=50, concentration=1e9, explain=False)
    np.testing.assert_allclose(tight["p_top_k"], (tight["rank"] <= 5).astype(float))
    assert candidates(base, "AT31", n_draws=0, explain=False)["p_top_k"].isna().all()


# --------------------------------------------------------------------------------------------
# exclusions
# --------------------------------------------------------------------------------------------
def test_default_exclusions_drop_public_administration(tiny):
    x = tiny.rename(columns={"a": "C28", "b": "O84", "c": "N82"})
    x["T97"] = [1.0, 2.0, 0.0, 1.0]
    assert DEFAULT_EXCLUSIONS == ("O", "T", "U")
    c = candidates(x, "r1", n_draws=0, pci=pd.Series(0.0, index=x.columns))
    assert set(c.index) == {"C28", "N82"}
    assert c.attrs["excluded"] == ["O84", "T97"]
    c_all = candidates(x, "r1", n_draws=0, exclude=(), pci=pd.Series(0.0, index=x.columns))
    assert len(c_all) == 4 and c_all.attrs["excluded"] == []
    # an excluded activity still counts as a capability: same densities with or without
    np.testing.assert_allclose(c["density"], c_all.loc[c.index, "density"])


def test_custom_exclusion_prefixes(at31, sbs):
    c = candidates(sbs, "AT31", exclude=DEFAULT_EXCLUSIONS + ("C2", "B05"), n_draws=0,
                   explain=False)
    assert not c.index.str.startswith("C2").any() and "B05" not in c.index
    assert len(c) == len(at31) - 11
    with pytest.raises(ValueError, match="every activity"):
        candidates(sbs, "AT31", exclude=("B", "C", "D", "E", "F", "G", "H", "I", "J", "L", "M",
                                         "N", "S"), n_draws=0)
    with pytest.raises(ValueError, match="non-empty strings"):
        candidates(sbs, "AT31", exclude=("",), n_draws=0)


# --------------------------------------------------------------------------------------------
# momentum and mode trends
# --------------------------------------------------------------------------------------------
def test_section_growth_for_divisions_maps_a10():
    hist = datasets.regional_employment(level=2)
    g = section_growth_for_divisions(hist, ["C28", "D35", "F41", "J62", "M72", "N82", "S95"])
    assert g["C28"] == g["D35"]  # both B-E
    assert g["M72"] == g["N82"]  # both M-N
    start, end = g.attrs["years"]
    # 2018 covers only 95 regions, so the window ends at the latest well-covered year
    assert end == 2017 and hist.years[-1] == 2018 and end - start == 10
    x0, x1 = hist.matrix(start), hist.matrix(end)
    ok = x0["B-E"].notna() & x1["B-E"].reindex(x0.index).notna()
    ratio = x1["B-E"].reindex(x0.index)[ok].sum() / x0["B-E"][ok].sum()
    assert g["C28"] == pytest.approx(ratio ** (1 / (end - start)) - 1)
    c = candidates(datasets.sbs_employment(), "AT31", growth=g, n_draws=0, explain=False)
    assert c.loc["J62", "momentum"] > 0.5 > c.loc["C28", "momentum"]
    np.testing.assert_allclose(c.loc["C28", "momentum"], 0.5 + 0.5 * np.tanh(g["C28"] / 0.03))


def _history(regions: list[str], rate: float) -> Panel:
    """A*10 history 2005-2015 where every section of ``regions`` grows at ``rate`` a year."""
    rows = [(r, a, y, 1000.0 * (1 + rate) ** (y - 2005)) for r in regions
            for a in datasets.REGIONAL_A10 for y in (2005, 2015)]
    return Panel(pd.DataFrame(rows, columns=["region", "activity", "year", "value"]))


def test_transition_needs_declining_related_industries(sbs):
    base_kw = dict(n_draws=0, explain=False)
    down = candidates(sbs, ["AT31", "DE11"], history=_history(["AT31"], -0.03), **base_kw)
    up = candidates(sbs, ["AT31", "DE11"], history=_history(["AT31"], 0.03), **base_kw)
    new_dense = (down.loc["AT31", "rca"] < 1) & down.loc["AT31", "quadrant"].str.startswith(
        "high relatedness")
    assert new_dense.any()
    assert (down.loc["AT31"].loc[new_dense, "mode"] == "transition").all()
    assert (up.loc["AT31"].loc[new_dense, "mode"] == "diversification").all()
    np.testing.assert_allclose(down.loc["AT31", "related_trend"].dropna(), -0.03)
    # DE11 has no history: its trend is unknown and no transition is claimed
    assert down.loc["DE11", "related_trend"].isna().all()
    assert "transition" not in set(down.loc["DE11", "mode"])


def test_multi_year_panel_gives_trends(sbs):
    x = sbs.matrix()
    earlier = x.copy()
    earlier.loc["AT31"] *= 1.5  # AT31 employment fell by a third between 2010 and 2015
    frames = [Panel.from_matrix(m, y).frame for m, y in ((earlier, 2010), (x, 2015))]
    two = Panel(pd.concat(frames, ignore_index=True)[["region", "activity", "year", "value"]])
    c = candidates(two, "AT31", n_draws=0, explain=False)
    assert c.attrs["sources"]["trend"] == "panel 2010-2015"
    assert "transition" in set(c["mode"])
    assert (c["related_trend"].dropna() < 0).all()
    # momentum from the panel's totals: AT31 is small, the EU total barely moves
    assert c["momentum"].between(0.3, 0.5).all()


# --------------------------------------------------------------------------------------------
# stakeholders
# --------------------------------------------------------------------------------------------
def _scores() -> pd.DataFrame:
    return pd.DataFrame({
        "stakeholder": ["firm A", "firm A", "university", "university", "chamber"],
        "activity": ["C28", "C25", "C28", "C25", "C28"],
        "capacity": [5, 1, 4, 1, 5],
        "opportunity": [5, 1, 5, 1, 4],
        "comment": ["core strength", None, "", "no skills", "export leader"],
    })


def test_merge_stakeholder_scores(at31):
    m = merge_stakeholder_scores(at31, _scores())
    assert len(m) == len(at31) and m.index.equals(at31.index)
    c28 = m.loc["C28"]
    assert c28["n_stakeholders"] == 3
    assert c28["capacity_mean"] == pytest.approx(14 / 3)
    # ((5+5)/2 - 1)/4 = 1, ((4+5)/2 - 1)/4 = .875, ((5+4)/2 - 1)/4 = .875
    assert c28["stakeholder_score"] == pytest.approx((1 + 0.875 + 0.875) / 3)
    assert not c28["disagreement"]  # both views rate it highly
    assert m.loc["C25", "stakeholder_score"] == 0.0  # everybody scored 1 and 1
    assert at31.loc["C25", "score"] > 0.25
    assert m.loc["C25", "disagreement"]
    assert m.loc["C25", "score_difference"] == pytest.approx(-at31.loc["C25", "score"])
    assert m.loc["C25", "disagreement_note"] == "the data rate it higher than the stakeholders"
    assert "firm A: core strength" in c28["comments"] and "chamber" in c28["comments"]
    assert m.loc["C28", "stakeholder_rank"] == 1 and m.loc["C25", "stakeholder_rank"] == 2
    assert m.loc["C25", "data_rank"] == 1 and m.loc["C28", "data_rank"] == 2
    unscored = m.drop(index=["C28", "C25"])
    assert unscored["stakeholder_score"].isna().all() and not unscored["disagreement"].any()
    assert (unscored["n_stakeholders"] == 0).all()
    # a rank gap rule flags more, never fewer
    strict = merge_stakeholder_scores(at31, _scores(), threshold=1.0, rank_gap=1)
    assert strict["disagreement"].sum() >= 1


def test_stakeholder_scores_through_candidates(sbs):
    c = candidates(sbs, "AT31", stakeholder_scores=_scores(), n_draws=0, explain=False)
    assert c.loc["C28", "n_stakeholders"] == 3 and "disagreement" in c.columns


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.assign(capacity=[5, 1, 4, 1, 6]), r"'capacity' out of range 1-5 in row\(s\) 4"),
    (lambda s: s.assign(opportunity=[5, 0, 5, 1, 4]), r"'opportunity' out of range.*row\(s\) 1"),
    (lambda s: s.assign(activity=["C28", "C25", "C28", "X99", "C28"]),
     r"unknown or excluded activity code\(s\) \['X99'\] in row\(s\) 3"),
    (lambda s: s.drop(columns="opportunity"), r"missing column\(s\) \['opportunity'\]"),
    (lambda s: s.assign(capacity=[5, "high", 4, 1, 5]), r"non-numeric 'capacity' in row\(s\) 1"),
    (lambda s: s.assign(stakeholder=["firm A"] * 3 + ["u", "c"]),
     r"more than once in row\(s\) 0, 2$"),
    (lambda s: s.assign(stakeholder=["firm A", None, "u", "u", "c"]), r"empty 'stakeholder'"),
])
def test_stakeholder_validation_errors(at31, change, message):
    with pytest.raises(ValueError, match=message):
        merge_stakeholder_scores(at31, change(_scores()))


def test_stakeholder_batch_needs_region(batch):
    two = batch.loc[["AT31", "DE11"]]
    with pytest.raises(ValueError, match="'region' column"):
        merge_stakeholder_scores(two, _scores())
    s = _scores().assign(region=["AT31", "AT31", "AT31", "DE11", "DE11"])
    m = merge_stakeholder_scores(two, s)
    assert m.loc[("AT31", "C28"), "n_stakeholders"] == 2
    assert m.loc[("DE11", "C28"), "n_stakeholders"] == 1
    with pytest.raises(ValueError, match="not among the candidates"):
        merge_stakeholder_scores(two, s.assign(region="FR10"))


# --------------------------------------------------------------------------------------------
# skills
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def esco() -> pd.Series:
    """Real ESCO skill URIs (checked against esco_skills()) with their preferred labels."""
    sample = datasets.esco_occupation_skills_sample().dropna(subset=["skill_uri"])
    known = set(datasets.esco_skills()["uri"])
    lab = sample.drop_duplicates("skill_uri").set_index("skill_uri")["skill_label"]
    lab = lab[lab.index.isin(known)]
    assert len(lab) >= 40
    return lab.iloc[:40]


def test_skill_gaps_hand_checked(tiny, esco):
    s = esco.index
    # a uses s0, s1; b uses s2; c uses s1, s3
    w = pd.DataFrame(0.0, index=["a", "b", "c"], columns=s[:4])
    w.loc["a", [s[0], s[1]]] = 1.0
    w.loc["b", s[2]] = 2.0
    w.loc["c", [s[1], s[3]]] = 1.0
    # r1 is specialised in a only: it has s0 and s1
    g = skill_gaps("r1", "c", panel=tiny, skills=w, skill_labels=esco, k=1)
    assert list(g.index) == [s[3]] and g["label"].iloc[0] == esco[s[3]]
    assert g["needed_by"].iloc[0] == ["c"]
    g = skill_gaps("r1", "b", panel=tiny, skills=w, skill_labels=esco, k=1)
    assert list(g.index) == [s[2]] and g["importance"].iloc[0] == 2.0
    # r2 (specialised in b) lacks a's and c's skills; for candidate a, c is a gap activity
    g = skill_gaps("r2", "a", panel=tiny, skills=w, k=1)
    assert set(g.index) == {s[0], s[1], s[3]}
    # s1 is needed by a itself (1) and by gap activity c (phi 0.5): importance 1.5
    assert g.loc[s[1], "importance"] == pytest.approx(1.5)
    assert g.index[0] == s[1] and g.loc[s[1], "needed_by"] == ["a", "c"]
    c = candidates(tiny, "r1", exclude=(), n_draws=0, pci=TINY_PCI, k=1, skills=w,
                   skill_labels=esco)
    assert c.loc["c", "skill_gap"] == [esco[s[3]]]
    # a is a specialisation, but its gap activity c needs s3, which r1 lacks
    assert c.loc["a", "skill_gap"] == [esco[s[3]]]
    assert c.loc["b", "skill_gap"] == [esco[s[2]]]
    with pytest.raises(ValueError, match="negative"):
        skill_gaps("r1", "c", panel=tiny, skills=-w, k=1)
    with pytest.raises(ValueError, match="no row matches"):
        skill_gaps("r1", "c", panel=tiny, skills=w.rename(index=str.upper), k=1)


def test_skill_gap_lists_only_missing_skills_on_real_data(sbs, esco):
    rng = np.random.default_rng(3)
    acts = sbs.activities
    w = pd.DataFrame(rng.random((len(acts), len(esco))) * (rng.random((len(acts), len(esco)))
                                                           < 0.1),
                     index=acts, columns=esco.index)
    c = candidates(sbs, "AT31", skills=w, skill_labels=esco, n_draws=0, explain=False)
    spec = c.index[c["rca"] >= 1]
    held = set(esco[w.loc[spec].gt(0).any(axis=0).to_numpy()])
    listed = {s for lst in c["skill_gap"] for s in lst}
    assert listed and not (listed & held)
    assert c["skill_gap"].map(len).le(5).all()


def test_short_label():
    assert short_label("Manufacture of basic metals") == "Basic metals"
    assert short_label("Manufacture of wood and of products of wood and cork, except "
                       "furniture; manufacture of articles of straw") == (
        "Wood and of products of wood and cork, except furniture")
    assert short_label("Civil engineering") == "Civil engineering"
