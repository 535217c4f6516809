"""NUTS regions, boundaries, neighbours and the Alpine Space (smartspec.datasets.geo)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from smartspec.datasets import geo


# --- regions ----------------------------------------------------------------------------------
def test_counts_per_level_match_gisco_2021():
    counts = {lev: len(geo.regions(lev)) for lev in (0, 1, 2, 3)}
    assert counts == {0: 37, 1: 125, 2: 334, 3: 1514}
    assert sum(counts.values()) == 2010 == len(geo.regions(None))
    assert len(geo.regions_geojson(None)["features"]) == 2010


def test_coverage_includes_efta_and_candidates():
    r = geo.regions(2)
    for code in ("CH01", "CH07", "LI00", "NO0A", "IS00", "AT34", "TR10", "UKI3"):
        assert code in r.index
    assert r.index.is_unique and (r.index == r["code"]).all()
    assert (r["level"] == 2).all()
    assert r.loc["AT34", "name"] == "Vorarlberg" and r.loc["AT34", "country"] == "AT"
    assert r.loc["ITC2", "native_name"].startswith("Valle")


def test_country_filter():
    at = geo.regions(3, country="at")
    assert len(at) == 35 and set(at["country"]) == {"AT"}


def test_typologies_present():
    r3 = geo.regions(3)
    assert r3.loc["AT130", "urban_rural"] == "predominantly urban"
    assert r3["mount_type"].notna().mean() > 0.99
    assert set(r3["mount_type"].dropna()) <= {1, 2, 3, 4}
    r2 = geo.regions(2)
    # aggregated NUTS-3 typology flags at level 2
    assert r2.loc["AT34", "mountainous"] and r2.loc["AT34", "border"]
    assert r2.loc["AT13", "metropolitan"] and r2.loc["AT13", "capital"]
    assert not r2.loc["AT13", "mountainous"]
    assert 0 <= r2["border_share"].min() and r2["border_share"].max() <= 1
    # CH/LI: outside the EU sheet, mountainous falls back to GISCO's NUTS-3 attributes
    assert r2.loc["LI00", "mountainous"] and "GISCO" in r2.loc["LI00", "typology_source"]
    # share rule: share of children flagged, flag = majority
    kids = r3[r3.index.str.startswith("DE21")]
    assert r2.loc["DE21", "typology_n3"] == len(kids)
    assert r2.loc["DE21", "metropolitan_share"] == pytest.approx(kids["metropolitan"].mean(), abs=1e-4)
    assert r2.loc["DE21", "metropolitan"] == (r2.loc["DE21", "metropolitan_share"] >= 0.5)


def test_version_2024_codes():
    r24 = geo.regions(2, version=2024)
    assert "NL35" in r24.index and "NL31" not in r24.index  # Utrecht recoded in NUTS 2024
    assert "CH05" in r24.index and "LI00" in r24.index
    with pytest.raises(ValueError, match="2021 only"):
        geo.regions(2, version=2024, geometry="60M")
    with pytest.raises(ValueError, match="version"):
        geo.regions(2, version=2016)


@pytest.mark.parametrize("resolution", ["60M", "3M"])
def test_geometry_and_attribution(resolution):
    r = geo.regions(2, geometry=resolution)
    assert r.attrs["attribution"] == geo.GISCO_ATTRIBUTION
    assert geo.GISCO_ATTRIBUTION == "© EuroGeographics for the administrative boundaries"
    assert r["geometry"].notna().all()
    g = shape(r.loc["AT34", "geometry"])
    assert g.is_valid and g.contains(shapely.Point(9.75, 47.25))  # near Dornbirn/Bludenz
    # centroid lies inside the region's main polygon
    assert g.buffer(0.01).contains(shapely.Point(r.loc["AT34", "lon"], r.loc["AT34", "lat"]))


def test_geometry_errors_and_copies():
    with pytest.raises(ValueError, match="levels 2 and 3"):
        geo.regions(1, geometry="3M")
    with pytest.raises(ValueError, match="60M"):
        geo.regions(2, geometry="10M")
    with pytest.raises(ValueError, match="level"):
        geo.regions(5)
    a = geo.regions(2, geometry="60M")
    a.loc["AT34", "geometry"]["type"] = "broken"
    a["name"] = "x"
    b = geo.regions(2, geometry="60M")
    assert b.loc["AT34", "geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert b.loc["AT34", "name"] == "Vorarlberg"


def test_regions_geojson_for_plotly():
    fc = geo.regions_geojson(2, "3M")
    assert fc["type"] == "FeatureCollection" and fc["attribution"] == geo.GISCO_ATTRIBUTION
    ids = {f["properties"]["NUTS_ID"] for f in fc["features"]}
    assert ids == set(geo.regions(2).index)
    assert len(geo.regions_geojson(3, "60M")["features"]) == 1514


def test_shipped_files_are_parsed_once():
    """Later calls reuse the parsed files (timings live in benchmarks/datasets_load.py)."""
    geo.regions(3, geometry="3M")
    geo.neighbours(3)
    loaders = (geo._regions_table, geo._neighbours_table, geo._features)
    misses = [f.cache_info().misses for f in loaders]
    for call in (lambda: geo.regions(2), lambda: geo.regions(3, geometry="3M"),
                 lambda: geo.neighbours(3), lambda: geo.alpine_space(3)):
        call()
    assert [f.cache_info().misses for f in loaders] == misses


# --- neighbours -------------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b", "cross"), [
    ("AT34", "CH05", True), ("AT34", "LI00", True), ("AT34", "DE27", True),
    ("SI04", "ITH4", True), ("FRK2", "CH01", True), ("FRK2", "ITC2", True),
    ("AT13", "AT12", False), ("ITC4", "CH07", True), ("DE21", "AT32", True),
])
def test_known_neighbour_pairs(a, b, cross):
    nb = geo.neighbours(2)
    row = nb[(nb["region"] == a) & (nb["neighbour"] == b)]
    assert len(row) == 1
    assert bool(row["cross_border"].iloc[0]) is cross
    assert row["shared_border_km"].iloc[0] > 5


def test_neighbours_symmetric_and_islands_isolated():
    for level in (2, 3):
        nb = geo.neighbours(level)
        pairs = set(zip(nb["region"], nb["neighbour"], strict=True))
        assert pairs == {(b, a) for a, b in pairs}
        assert not (nb["region"] == nb["neighbour"]).any()
        assert not nb.duplicated(["region", "neighbour"]).any()
    nb2 = geo.neighbours(2)
    for island in ("FRM0", "ITG1", "ITG2", "MT00", "CY00", "IS00", "ES53"):
        assert island not in set(nb2["region"])
    assert ("AT13", "AT11") not in set(zip(nb2["region"], nb2["neighbour"], strict=True))
    assert len(nb2) == 1464


def test_neighbour_distances_plausible():
    nb = geo.neighbours(2)
    vienna = nb[(nb["region"] == "AT13") & (nb["neighbour"] == "AT12")].iloc[0]
    assert 20 < vienna["centroid_distance_km"] < 80
    assert (nb["centroid_distance_km"] > 0).all() and (nb["centroid_distance_km"] < 1500).all()
    assert list(geo.neighbours(2, include_distances=False).columns) == [
        "region", "neighbour", "cross_border"]
    with pytest.raises(ValueError):
        geo.neighbours(1)


def test_level3_neighbours():
    nb = geo.neighbours(3)
    pairs = set(zip(nb["region"], nb["neighbour"], strict=True))
    assert ("AT130", "AT127") in pairs  # Wien - Wiener Umland/Südteil
    assert ("AT342", "CH055") in pairs  # Rheintal-Bodenseegebiet - St. Gallen
    assert ("AT342", "LI000") in pairs


def test_centroid_distance_matrix():
    d = geo.centroid_distances(2)
    assert d.shape == (334, 334)
    assert np.allclose(d.to_numpy(), d.to_numpy().T) and (np.diag(d.to_numpy()) == 0).all()
    assert 20 < d.loc["AT13", "AT12"] < 80
    # Wien - Paris (Île-de-France) is about 1,030 km
    assert 950 < d.loc["AT13", "FR10"] < 1100
    nb = geo.neighbours(2).set_index(["region", "neighbour"])["centroid_distance_km"]
    assert d.loc["AT34", "CH05"] == pytest.approx(nb[("AT34", "CH05")], abs=0.01)


# --- Alpine Space -----------------------------------------------------------------------------
def test_alpine_space_nuts2():
    a = geo.alpine_space(2)
    assert len(a) == 42 == len(geo.ALPINE_SPACE_NUTS2)
    assert a["country"].value_counts().to_dict() == {
        "DE": 11, "AT": 9, "IT": 8, "CH": 7, "FR": 4, "SI": 2, "LI": 1}
    assert {"DE11", "DE26"} <= set(a.index)  # all of Baden-Württemberg and Bavaria since 2021
    old = geo.alpine_space(2, period="2014-2020")
    assert len(old) == 35 and set(old.index) < set(a.index)
    assert old["country"].value_counts().to_dict() == {
        "AT": 9, "IT": 8, "CH": 7, "DE": 4, "FR": 4, "SI": 2, "LI": 1}
    assert set(old[old.country == "DE"].index) == {"DE13", "DE14", "DE21", "DE27"}
    with pytest.raises(ValueError, match="period"):
        geo.alpine_space(2, period="2007-2013")
    assert {"FRK2", "FRL0", "FRC2", "FRF1", "ITH1", "ITH2", "DE13", "DE14"} <= set(a.index)
    # every code exists in the GISCO NUTS 2021 geometry
    fc = geo.regions_geojson(2, "3M")
    ids = {f["properties"]["NUTS_ID"] for f in fc["features"]}
    assert set(geo.ALPINE_SPACE_NUTS2) <= ids
    assert a["mountainous"].sum() >= 20


def test_alpine_space_nuts3_and_geometry():
    a3 = geo.alpine_space(3, geometry="60M")
    assert set(a3["alpine_nuts2"]) == set(geo.ALPINE_SPACE_NUTS2)
    assert (a3.index.str[:4] == a3["alpine_nuts2"]).all()
    assert len(a3) == sum(len(geo.regions(3)[geo.regions(3).index.str.startswith(c)])
                          for c in geo.ALPINE_SPACE_NUTS2)
    assert a3.attrs["attribution"] == geo.GISCO_ATTRIBUTION
    assert a3["geometry"].notna().all()
    with pytest.raises(ValueError):
        geo.alpine_space(1)


def test_alpine_space_is_connected():
    a = set(geo.alpine_space(2).index)
    nb = geo.neighbours(2)
    nb = nb[nb["region"].isin(a) & nb["neighbour"].isin(a)]
    adj = {c: set() for c in a}
    for r, n in zip(nb["region"], nb["neighbour"], strict=True):
        adj[r].add(n)
    seen, stack = set(), ["AT34"]
    while stack:
        c = stack.pop()
        if c not in seen:
            seen.add(c)
            stack.extend(adj[c] - seen)
    assert seen == a
