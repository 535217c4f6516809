"""Tests for smartspec.discovery.profile on the real embedded data (and small synthetic cases)."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from smartspec import datasets, evidence
from smartspec.data.panel import Panel, PanelMeta
from smartspec.discovery.embedded import embedded_profile, load_inputs
from smartspec.discovery.history import region_history
from smartspec.discovery.peers import neighbour_regions, profile_vectors, similarity_to
from smartspec.discovery.profile import (
    RegionProfile,
    cluster_stars,
    context_summary,
    profile,
)

AT31_NEIGHBOURS = {"AT12", "AT22", "AT32", "CZ03", "DE21", "DE22"}  # GISCO NUTS 2021 adjacency


@pytest.fixture(scope="module", autouse=True)
def _tmp_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SMARTSPEC_CACHE_DIR", str(tmp_path_factory.mktemp("smartspec-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def at31() -> RegionProfile:
    return embedded_profile("AT31")


@pytest.fixture(scope="module")
def sbs() -> pd.DataFrame:
    x = datasets.sbs_employment().matrix(missing="zero")
    return x[x.sum(axis=1) > 0]


# --------------------------------------------------------------------------------------------
# specialisations and stars on real data
# --------------------------------------------------------------------------------------------
def test_at31_top_specialisations(at31: RegionProfile, sbs: pd.DataFrame) -> None:
    spec = at31.specialisations
    assert at31.name == "Oberösterreich" and at31.year == 2015 and at31.country == "AT"
    # Upper Austria (voestalpine Linz): basic metals is its strongest LQ, machinery follows.
    assert spec.index[0] == "C24"
    assert "C28" in spec.index[:3]
    assert spec.loc["C24", "label"] == "Manufacture of basic metals"
    assert spec.loc["C24", "stars"] == 3 and spec.loc["C28", "stars"] == 3
    assert len(spec) == 15
    assert spec["rca"].is_monotonic_decreasing
    # Values agree with the evidence functions.
    rca = evidence.rca(sbs)
    assert spec["rca"].to_numpy() == pytest.approx(rca.loc["AT31", spec.index].to_numpy())
    at = sbs[sbs.index.str[:2] == "AT"]
    assert spec["rca_national"].to_numpy() == pytest.approx(
        evidence.rca(at).loc["AT31", spec.index].to_numpy())
    emp = sbs.loc["AT31"]
    assert spec["share"].to_numpy() == pytest.approx((emp / emp.sum())[spec.index].to_numpy())
    assert spec["share_eu"].to_numpy() == pytest.approx(
        (sbs.sum() / sbs.to_numpy().sum())[spec.index].to_numpy())
    assert (spec["rca"] / spec["rca_national"]).to_numpy() == pytest.approx(
        (spec["share_national"] / spec["share_eu"]).to_numpy())
    assert at31.missing_cells == 2 and "counted as zero" in at31.notes[0]
    assert "Eurostat (sbs_r_nuts06_r2)" in at31.attribution


@pytest.mark.parametrize(("region", "activity", "rank"), [
    ("DE11", "C29", 1),   # Stuttgart: motor vehicles (Daimler, Porsche, Bosch)
    ("DE21", "C29", 2),   # Oberbayern: motor vehicles (BMW), after R&D (M72)
    ("ITH3", "C15", 1),   # Veneto: leather and footwear (Riviera del Brenta, Montebelluna)
    ("ITC4", "C13", 1),   # Lombardia: textiles (Como silk, Biella/Bergamo)
])
def test_known_specialisations_come_out_on_top(region: str, activity: str, rank: int) -> None:
    p = embedded_profile(region, top=5)
    assert p.specialisations.index[rank - 1] == activity
    row = p.specialisations.loc[activity]
    assert row["stars"] == 3
    assert row["size_star"] and row["specialisation_star"] and row["focus_star"]


def test_stars_synthetic() -> None:
    # 10 regions: the top 10 % is the single largest value of each column.
    x = pd.DataFrame({
        "a": [100, 10, 10, 10, 10, 10, 10, 10, 10, 10],
        "b": [1, 50, 40, 30, 30, 30, 30, 30, 30, 30],
        "c": [0, 5, 5, 5, 5, 5, 5, 5, 5, 200],
    }, index=[f"r{i}" for i in range(10)], dtype=float)
    s = cluster_stars(x)
    assert s.size["a"].tolist() == [True] + [False] * 9
    assert s.size["b"].tolist() == [False, True] + [False] * 8
    assert s.size.loc["r9", "c"] and not s.size.loc["r0", "c"]
    lq = evidence.rca(x)
    assert (s.specialisation == ((lq >= 2) & (x > 0))).all().all()
    share = x.div(x.sum(axis=1), axis=0)
    assert s.focus["a"].tolist() == (share["a"] == share["a"].max()).tolist()
    assert not s.focus.loc["r0", "c"]  # a zero never earns a star
    assert (s.count == s.size.astype(int) + s.specialisation.astype(int)
            + s.focus.astype(int)).all().all()
    # Thresholds are parameters; ties share the star.
    wide = cluster_stars(x, size_top=0.3, specialisation_lq=1.0, focus_top=1.0)
    assert wide.size["b"].sum() == 9  # 50, 40 and the seven tied 30s
    assert wide.focus.sum().sum() == int((x > 0).sum().sum())
    with pytest.raises(ValueError, match="size_top"):
        cluster_stars(x, size_top=0)
    with pytest.raises(ValueError, match="specialisation_lq"):
        cluster_stars(x, specialisation_lq=-1)


# --------------------------------------------------------------------------------------------
# indices, complexity, relatedness
# --------------------------------------------------------------------------------------------
def test_indices_and_complexity(at31: RegionProfile, sbs: pd.DataFrame) -> None:
    ix = at31.indices
    assert list(ix.index) == ["krugman", "hoover", "hhi", "entropy", "related_variety",
                              "unrelated_variety", "diversity"]
    assert ix["entropy"] == pytest.approx(ix["related_variety"] + ix["unrelated_variety"])
    ref = evidence.specialisation_indices(sbs, lambda c: c[0]).loc["AT31"]
    assert ix["krugman"] == pytest.approx(ref["krugman"])
    m = evidence.presence(sbs)
    assert ix["diversity"] == m.loc["AT31"].sum() == at31.presence.sum()
    cx = evidence.complexity(m)
    assert at31.eci == pytest.approx(cx.eci["AT31"])
    assert at31.eci_rank == int((cx.eci > cx.eci["AT31"]).sum()) + 1
    assert at31.n_regions == int(cx.eci.notna().sum())
    assert at31.specialisations["pci"].to_numpy() == pytest.approx(
        cx.pci[at31.specialisations.index].to_numpy())
    phi = evidence.proximity(m)
    dens = evidence.density(m, phi).loc["AT31"]
    assert at31.density.to_numpy() == pytest.approx(dens.to_numpy())


def test_activity_space_in_profile(at31: RegionProfile) -> None:
    nodes = at31.activity_space.nodes
    assert len(nodes) == 68
    assert set(nodes.index[nodes["present"]]) == set(at31.presence.index[at31.presence == 1])
    assert nodes.loc["C24", "present"] and nodes.loc["C24", "rca"] == pytest.approx(
        at31.specialisations.loc["C24", "rca"])
    assert {"source", "target", "proximity"} <= set(at31.activity_space.edges.columns)
    # The layout is shared by every region of the panel (computed once).
    other = embedded_profile("DE11")
    assert other.activity_space.key == at31.activity_space.key
    pd.testing.assert_frame_equal(other.activity_space.nodes[["x", "y"]], nodes[["x", "y"]])


# --------------------------------------------------------------------------------------------
# peers
# --------------------------------------------------------------------------------------------
def test_peers(at31: RegionProfile) -> None:
    peers = at31.peers
    assert set(peers["kind"]) == {"structural", "neighbour"}
    structural = peers[peers["kind"] == "structural"]
    assert len(structural) == 8
    assert "AT31" not in set(peers["region"])
    assert peers["similarity"].between(-1, 1).all()
    assert structural["similarity"].is_monotonic_decreasing
    # Every other region is less similar than the last structural peer.
    x = load_inputs().panel.matrix(missing="zero")
    x = x[x.sum(axis=1) > 0]
    sim = similarity_to(profile_vectors(evidence.rca(x)), "AT31").drop("AT31")
    rest = sim.drop(structural["region"])
    assert rest.max() <= structural["similarity"].min() + 1e-12
    assert structural["similarity"].to_numpy() == pytest.approx(
        sim[structural["region"]].to_numpy())
    neigh = peers[peers["kind"] == "neighbour"]
    assert set(neigh["region"]) == AT31_NEIGHBOURS
    assert neigh.set_index("region").loc["CZ03", "cross_border"]
    assert not neigh.set_index("region").loc["AT12", "cross_border"]
    # Side-by-side comparison: the region first, each peer once.
    comp = at31.comparison
    assert comp.columns[0] == "AT31"
    assert not comp.columns.duplicated().any()
    assert set(comp.columns[1:]) == set(peers["region"])
    assert comp.loc["top_activity", "AT31"] == "C24"
    assert comp.loc["employment", "AT31"] == pytest.approx(at31.total_employment)
    for ind in ("eci", "diversity", "employment", "krugman", "top_activity"):
        assert ind in comp.index


def test_neighbour_regions_symmetric_input() -> None:
    pairs = pd.DataFrame({"region": ["A", "C"], "neighbour": ["B", "A"]})
    assert list(neighbour_regions(pairs, "A").index) == ["B", "C"]
    with pytest.raises(ValueError, match="neighbour"):
        neighbour_regions(pd.DataFrame({"region": ["A"]}), "A")


# --------------------------------------------------------------------------------------------
# history and context
# --------------------------------------------------------------------------------------------
def test_history_at31(at31: RegionProfile) -> None:
    h = at31.history
    assert h is not None
    assert h.years[0] == 2000 and h.years[-1] == 2017
    assert h.windows == (2000, 2005, 2010, 2015) and h.horizon == 5
    cols = ["year_from", "year_to", "activity", "label", "rca_from", "rca_to", "density_from"]
    for events in (h.entries, h.exits):
        assert list(events.columns) == cols
        assert (events["year_to"] - events["year_from"] == 5).all()
    assert (h.entries["rca_from"] < 1).all() and (h.entries["rca_to"] >= 1).all()
    assert (h.exits["rca_from"] >= 1).all() and (h.exits["rca_to"] < 1).all()
    # Shift-share identity and totals.
    ss = h.shift_share
    assert h.shift_share_reference == "AT"
    parts = ss["national"] + ss["industry_mix"] + ss["competitive"]
    assert parts.to_numpy() == pytest.approx(ss["change"].to_numpy())
    assert (ss["end"] - ss["start"]).to_numpy() == pytest.approx(ss["change"].to_numpy())
    emp = h.employment
    assert ss["start"].to_numpy() == pytest.approx(emp.loc[2000].to_numpy())
    assert ss["end"].to_numpy() == pytest.approx(emp.loc[2017].to_numpy())
    # Growth is the CAGR over 17 years.
    cagr = (emp.loc[2017] / emp.loc[2000]) ** (1 / 17) - 1
    assert h.growth.to_numpy() == pytest.approx(cagr.to_numpy())
    # Manufacturing-heavy Upper Austria: industry (B-E) RCA > 1 throughout.
    assert (h.rca["B-E"] > 1).all()
    assert 0 <= h.entry_auc <= 1 and h.entry_auc_n > 0
    assert 0.5 < h.entry_auc_pooled < 1  # relatedness predicts entries better than chance


def test_history_unavailable_is_reported() -> None:
    p = embedded_profile("FRK2", top=3)  # France has only totals in the regional accounts
    assert p.history is None
    assert any("no history" in n and "FRK2" in n for n in p.notes)


def test_history_synthetic_panel_entry() -> None:
    # Region r0 enters activity b between 2000 and 2001 (its share of b rises above average).
    rows = []
    data = {2000: {"r0": (90, 10), "r1": (50, 50), "r2": (50, 50)},
            2001: {"r0": (40, 60), "r1": (50, 50), "r2": (60, 40)}}
    for y, regs in data.items():
        for r, (a, b) in regs.items():
            rows += [(r, "A01", y, float(a)), (r, "B05", y, float(b))]
    frame = pd.DataFrame(rows, columns=["region", "activity", "year", "value"])
    panel = Panel(frame, PanelMeta(activity_classification="NACE Rev. 2"))
    h = region_history(panel, "r0", horizon=1)
    assert h.years == (2000, 2001)
    assert h.entries["activity"].tolist() == ["B05"]
    assert h.exits["activity"].tolist() == ["A01"]
    # A multi-year panel is its own history in profile().
    p = profile(panel, "r0", top=None)
    assert p.history is not None and p.year == 2001


def test_context(at31: RegionProfile) -> None:
    ctx = at31.context
    assert ctx is not None
    gdp = ctx.set_index("indicator").loc["gdp_million_eur"]
    assert gdp["year"] == 2018 and gdp["latest"] == pytest.approx(65849.65)
    assert gdp["trend_kind"] == "cagr" and gdp["trend_from"] == 2013
    assert gdp["trend"] == pytest.approx((65849.65 / 55424.89) ** (1 / 5) - 1)
    unemp = ctx.set_index("indicator").loc["unemployment_rate"]
    assert unemp["trend_kind"] == "change per year"
    assert unemp["unit"].startswith("%")
    long = pd.DataFrame({"region": ["X"] * 3, "year": [2010, 2012, 2014],
                         "indicator": ["population"] * 3, "value": [100.0, 110.0, 121.0]})
    out = context_summary(long, "X", window=4)
    assert out.loc[0, "trend"] == pytest.approx(1.21 ** 0.25 - 1)  # 10 % per two years
    assert out.loc[0, "trend_from"] == 2010


# --------------------------------------------------------------------------------------------
# errors, generic panels, speed
# --------------------------------------------------------------------------------------------
def test_unknown_region_lists_close_codes() -> None:
    with pytest.raises(ValueError, match=r"AT3X.*close codes: .*AT31"):
        embedded_profile("AT3X")
    with pytest.raises(ValueError, match=r"AT31 \(Oberösterreich\)"):
        embedded_profile("Oberosterreich")
    assert embedded_profile("at31", top=3).region == "AT31"
    inputs = load_inputs()
    with pytest.raises(ValueError, match="year 1999"):
        profile(inputs.panel, "AT31", year=1999)
    with pytest.raises(ValueError, match="top"):
        profile(inputs.panel, "AT31", top=0)


def test_generic_panel_without_nuts_or_nace() -> None:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.integers(0, 100, (12, 6)).astype(float),
                     index=[f"c{i:02d}" for i in range(12)], columns=list("uvwxyz"))
    panel = Panel.from_matrix(x, 2020, PanelMeta(region_classification="ISO3"))
    p = profile(panel, "c03", n_peers=3, top=None, cache_dir=False)
    assert p.specialisations["rca_national"].isna().all()
    assert np.isnan(p.indices["related_variety"])
    assert p.history is None and p.context is None
    assert len(p.peers) == 3 and p.name == "c03"
    assert p.specialisations["label"].tolist() == list(p.specialisations.index)


def test_warm_profile_reuses_the_region_independent_base(at31: RegionProfile,
                                                        monkeypatch) -> None:
    """A second region reuses the cached base (timings live in the benchmarks, not here)."""
    module = importlib.import_module("smartspec.discovery.profile")
    embedded_profile("AT32")  # warm (same panels)
    calls = []
    original = module._build_base
    monkeypatch.setattr(module, "_build_base",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    p = embedded_profile("ITH3")
    assert p.history is not None
    assert calls == []


def test_clear_cache_recomputes_identical_profile(at31: RegionProfile) -> None:
    from smartspec.discovery.profile import clear_profile_cache

    clear_profile_cache()
    again = embedded_profile("AT31")
    pd.testing.assert_frame_equal(again.specialisations, at31.specialisations)
    pd.testing.assert_frame_equal(again.activity_space.nodes, at31.activity_space.nodes)
    pd.testing.assert_frame_equal(again.peers, at31.peers)
    assert again.history is not None and at31.history is not None
    pd.testing.assert_frame_equal(again.history.shift_share, at31.history.shift_share)
